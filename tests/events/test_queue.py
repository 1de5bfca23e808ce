"""Hints: several ids per message, and the web process's background sender."""

import threading

import pytest

from events.delivery.queue import HintSender, deliveries_enqueue, deliveries_enqueue_on_commit
from events.models import Delivery
from tests.events.factories import DeliveryFactory


def test_ids_are_sent_in_batches_of_the_configured_size(hints, settings):
    settings.DELIVERY_HINT_BATCH = 100

    unsent = deliveries_enqueue(range(1, 251))

    assert unsent == []
    assert [name for name, _ in hints] == ["events.deliveries_attempt"] * 3
    assert [args[0] for _, args in hints] == [list(range(1, 101)), list(range(101, 201)), list(range(201, 251))]


def test_the_background_sender_sends_every_id_of_every_thread_once(hints, settings):
    settings.DELIVERY_HINT_BATCH = 7
    sender = HintSender()
    threads = [
        threading.Thread(target=lambda start=start: [sender.put([start + n]) for n in range(50)])
        for start in range(0, 400, 50)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sender.flush(timeout=10)
    sent = [delivery_id for _, args in hints for delivery_id in args[0]]
    assert sorted(sent) == list(range(400))
    assert all(len(args[0]) <= 7 for _, args in hints)


@pytest.mark.django_db(transaction=True)
def test_the_background_sender_leaves_unsent_hints_to_the_sweeper(monkeypatch, settings):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr("events.delivery.queue.current_app.send_task", broker_down)
    delivery = DeliveryFactory()
    Delivery.objects.filter(pk=delivery.pk).update(enqueued_at=delivery.created_at)
    sender = HintSender()

    sender.put([delivery.pk])

    assert sender.flush(timeout=10)
    delivery.refresh_from_db()
    assert delivery.enqueued_at is None


@pytest.mark.django_db
def test_in_the_web_server_hints_go_through_the_background_sender(
    hints, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.DELIVERY_HINTS_IN_BACKGROUND = True
    sender = HintSender()
    monkeypatch.setattr("events.delivery.queue.hint_sender", sender)

    with django_capture_on_commit_callbacks(execute=True):
        deliveries_enqueue_on_commit([11, 12])
    assert sender.flush(timeout=10)

    assert hints == [("events.deliveries_attempt", [[11, 12]])]
