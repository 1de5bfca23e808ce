"""Several due deliveries in one call: one claim, Segment messages packed into one batch request,
one attempt per delivery. The destinations are mocked (responses)."""

import json
import threading
from datetime import timedelta

import pytest
import responses
from django.db import connection
from django.utils import timezone

from events.delivery import hooks
from events.delivery.deliver import deliveries_attempt, delivery_attempt
from events.delivery.destinations import destination_admit, destination_settle
from events.models import Delivery
from tests.connectors.factories import ConnectorFactory
from tests.events.factories import DeliveryFactory, EventFactory

pytestmark = pytest.mark.django_db
SEGMENT_BATCH = "http://127.0.0.1:8000/sandbox/segment/v1/batch"
AIR_TRIGGER = "http://127.0.0.1:8000/sandbox/air/services/trigger"


def _segment_delivery(connector, message_id: str, **fields) -> Delivery:
    message = {"type": "track", "event": "Points Earned", "userId": "u-1", "messageId": message_id}
    return DeliveryFactory(
        event=EventFactory(connector=connector), url=SEGMENT_BATCH, body={"batch": [message]}, **fields
    )


def _air_delivery(connector, reference: str) -> Delivery:
    return DeliveryFactory(
        event=EventFactory(connector=connector),
        destination="air",
        url=AIR_TRIGGER,
        body={"reference": reference, "identityValue": "1111"},
        idempotency_key=reference,
    )


def _sent_message_ids() -> list[list[str]]:
    return [[m["messageId"] for m in json.loads(call.request.body)["batch"]] for call in responses.calls]


def _every_sent_message_id() -> list[str]:
    return [message_id for request in _sent_message_ids() for message_id in request]


def _ids(*deliveries) -> list[int]:
    return [delivery.pk for delivery in deliveries]


@pytest.fixture
def connector():
    return ConnectorFactory()


@responses.activate
def test_deliveries_of_one_connector_go_in_one_batch_and_each_gets_its_own_attempt(connector):
    first, second, third = (_segment_delivery(connector, f"m-{n}") for n in range(3))
    responses.post(SEGMENT_BATCH, json={"success": True})

    statuses = deliveries_attempt(delivery_ids=_ids(first, second, third), task_id="task-1")

    assert statuses == {pk: Delivery.Status.SUCCEEDED for pk in _ids(first, second, third)}
    assert _sent_message_ids() == [["m-0", "m-1", "m-2"]]
    sent = json.loads(responses.calls[0].request.body)
    assert set(sent) == {"batch", "sentAt"}
    assert responses.calls[0].request.headers["Authorization"].startswith("Basic ")
    for delivery, message_id in ((first, "m-0"), (second, "m-1"), (third, "m-2")):
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
        assert delivery.delivered_at is not None
        [attempt] = delivery.attempt_log.all()
        assert (attempt.number, attempt.outcome, attempt.task_id) == (1, "succeeded", "task-1")
        assert attempt.request_body == json.dumps(delivery.body, separators=(",", ":"))
        assert f'"messageId":"{message_id}"' in attempt.request_body
        assert attempt.request_headers["Authorization"] == "[redacted]"
        assert attempt.url == SEGMENT_BATCH
        assert attempt.response_body == '{"success": true}'
        assert attempt.error_message == "Sent in one request with 2 other deliveries."


@responses.activate
def test_one_delivery_alone_is_logged_as_before(connector):
    delivery = _segment_delivery(connector, "m-1")
    responses.post(SEGMENT_BATCH, json={"success": True})

    deliveries_attempt(delivery_ids=[delivery.pk])

    attempt = delivery.attempt_log.get()
    assert attempt.error_message == ""
    assert json.loads(attempt.request_body) == {**delivery.body, "sentAt": json.loads(attempt.request_body)["sentAt"]}


@responses.activate
def test_each_connector_gets_its_own_request():
    one, other = ConnectorFactory(), ConnectorFactory()
    deliveries = [_segment_delivery(one, "a-1"), _segment_delivery(other, "b-1"), _segment_delivery(one, "a-2")]
    responses.post(SEGMENT_BATCH, json={"success": True})

    statuses = deliveries_attempt(delivery_ids=_ids(*deliveries))

    assert set(statuses.values()) == {Delivery.Status.SUCCEEDED}
    assert sorted(_sent_message_ids()) == [["a-1", "a-2"], ["b-1"]]


@responses.activate
def test_bodies_with_different_batch_level_keys_are_not_merged(connector):
    plain = _segment_delivery(connector, "m-1")
    with_context = _segment_delivery(connector, "m-2")
    with_context.body = {**with_context.body, "context": {"library": {"name": "ee-connect"}}}
    with_context.save()
    responses.post(SEGMENT_BATCH, json={"success": True})

    deliveries_attempt(delivery_ids=_ids(plain, with_context))

    assert _sent_message_ids() == [["m-1"], ["m-2"]]
    assert json.loads(responses.calls[1].request.body)["context"] == {"library": {"name": "ee-connect"}}


@responses.activate
def test_batches_are_split_to_stay_under_segments_500_kb(connector):
    # 20 messages of about 30 KB: each within Segment's 32 KB, together about 600 KB
    deliveries = [_segment_delivery(connector, f"m-{n:02}") for n in range(20)]
    for delivery in deliveries:
        delivery.body["batch"][0]["properties"] = {"note": "x" * (30 * 1024)}
        delivery.save()
    responses.post(SEGMENT_BATCH, json={"success": True})

    statuses = deliveries_attempt(delivery_ids=_ids(*deliveries))

    assert set(statuses.values()) == {Delivery.Status.SUCCEEDED}
    assert len(responses.calls) == 2
    assert all(len(call.request.body) <= 500 * 1024 for call in responses.calls)
    assert _every_sent_message_id() == [f"m-{n:02}" for n in range(20)]


@responses.activate
def test_a_5xx_on_a_batch_retries_every_delivery_with_its_own_attempt(connector):
    deliveries = [_segment_delivery(connector, f"m-{n}") for n in range(3)]
    responses.post(SEGMENT_BATCH, status=503, body="down")
    before = timezone.now()

    statuses = deliveries_attempt(delivery_ids=_ids(*deliveries))

    assert statuses == {pk: Delivery.Status.RETRYING for pk in _ids(*deliveries)}
    assert len(responses.calls) == 1
    for delivery in deliveries:
        delivery.refresh_from_db()
        assert delivery.next_attempt_at > before
        assert delivery.claim_expires_at is None
        assert (delivery.attempts, delivery.last_status_code) == (1, 503)
        assert delivery.last_error == "The destination failed with 503 (will be retried)"
        attempt = delivery.attempt_log.get()
        assert (attempt.outcome, attempt.response_status, attempt.response_body) == ("retry", 503, "down")
        assert attempt.error_message == (
            "The destination failed with 503 (will be retried) Sent in one request with 2 other deliveries."
        )


@responses.activate
def test_a_429_on_a_batch_makes_every_delivery_wait_for_retry_after(connector):
    deliveries = [_segment_delivery(connector, f"m-{n}") for n in range(2)]
    responses.post(SEGMENT_BATCH, status=429, headers={"Retry-After": "7"})
    before = timezone.now()

    deliveries_attempt(delivery_ids=_ids(*deliveries))

    for delivery in deliveries:
        delivery.refresh_from_db()
        assert delivery.status == Delivery.Status.RETRYING
        assert 6 <= (delivery.next_attempt_at - before).total_seconds() <= 9


@responses.activate
def test_a_delivery_out_of_attempts_gives_up_while_the_others_in_its_batch_retry(connector):
    tired = _segment_delivery(connector, "m-1", attempts=11, status=Delivery.Status.RETRYING)
    fresh = _segment_delivery(connector, "m-2")
    responses.post(SEGMENT_BATCH, status=500)

    statuses = deliveries_attempt(delivery_ids=_ids(tired, fresh))

    assert statuses == {tired.pk: Delivery.Status.FAILED, fresh.pk: Delivery.Status.RETRYING}
    tired.refresh_from_db()
    fresh.refresh_from_db()
    assert (tired.attempts, tired.next_attempt_at) == (12, None)
    assert tired.last_error.startswith("Gave up after 12 attempts.")
    assert tired.attempt_log.get().outcome == "terminal"
    assert (fresh.attempts, fresh.attempt_log.get().outcome) == (1, "retry")
    assert fresh.next_attempt_at is not None


@responses.activate
def test_a_batch_refused_for_good_is_resent_one_delivery_at_a_time(connector):
    good, bad, other = (_segment_delivery(connector, message_id) for message_id in ("m-good", "m-bad", "m-other"))

    def segment(request):
        batch = json.loads(request.body)["batch"]
        if any(message["messageId"] == "m-bad" for message in batch):
            return 400, {}, json.dumps({"code": "invalid_message", "message": "m-bad is not valid"})
        return 200, {}, json.dumps({"success": True})

    responses.add_callback(responses.POST, SEGMENT_BATCH, callback=segment)

    statuses = deliveries_attempt(delivery_ids=_ids(good, bad, other))

    assert _sent_message_ids() == [["m-good", "m-bad", "m-other"], ["m-good"], ["m-bad"], ["m-other"]]
    assert statuses == {good.pk: "succeeded", bad.pk: "failed", other.pk: "succeeded"}
    bad.refresh_from_db()
    assert (bad.attempts, bad.last_status_code) == (1, 400)
    assert bad.last_error == "The destination rejected the request (400)"
    bad_attempt = bad.attempt_log.get()
    assert (bad_attempt.outcome, bad_attempt.response_status) == ("terminal", 400)
    assert "m-bad is not valid" in bad_attempt.response_body
    for delivery in (good, other):
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_error) == ("succeeded", 1, "")
        attempt = delivery.attempt_log.get()
        assert (attempt.number, attempt.outcome, attempt.response_status) == (1, "succeeded", 200)
        assert attempt.error_message == (
            "Sent alone: the request it shared with 2 other deliveries was refused "
            "(The destination rejected the request (400))."
        )


@responses.activate
def test_a_paused_connectors_rows_are_held_and_the_others_sent():
    paused = ConnectorFactory(state="paused")
    active = ConnectorFactory()
    held = [_segment_delivery(paused, "p-1"), _segment_delivery(paused, "p-2")]
    sent = _segment_delivery(active, "a-1")
    responses.post(SEGMENT_BATCH, json={"success": True})

    statuses = deliveries_attempt(delivery_ids=_ids(*held, sent))

    assert statuses == {held[0].pk: "held", held[1].pk: "held", sent.pk: "succeeded"}
    assert _sent_message_ids() == [["a-1"]]
    for delivery in held:
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("held", 0, None)
        assert not delivery.attempt_log.exists()


@responses.activate
def test_rows_not_due_or_missing_are_skipped(connector):
    due = _segment_delivery(connector, "m-due")
    later = _segment_delivery(connector, "m-later", next_attempt_at=timezone.now() + timedelta(minutes=5))
    done = _segment_delivery(connector, "m-done", status=Delivery.Status.SUCCEEDED)
    responses.post(SEGMENT_BATCH, json={"success": True})

    statuses = deliveries_attempt(delivery_ids=[*_ids(due, later, done), 999_999])

    assert statuses == {due.pk: Delivery.Status.SUCCEEDED}
    assert _sent_message_ids() == [["m-due"]]
    later.refresh_from_db()
    done.refresh_from_db()
    assert (later.status, later.attempts, done.attempts) == ("pending", 0, 0)
    assert not later.attempt_log.exists()


@responses.activate
def test_the_same_ids_twice_are_claimed_once(connector):
    deliveries = [_segment_delivery(connector, f"m-{n}") for n in range(2)]
    responses.post(SEGMENT_BATCH, status=500)

    first = deliveries_attempt(delivery_ids=_ids(*deliveries))
    second = deliveries_attempt(delivery_ids=_ids(*deliveries))

    assert set(first) == set(_ids(*deliveries))
    assert second == {}
    assert len(responses.calls) == 1
    assert all(delivery.attempt_log.count() == 1 for delivery in deliveries)


@responses.activate
def test_a_kind_that_does_not_merge_sends_one_request_per_delivery(connector):
    deliveries = [_air_delivery(connector, f"ref-{n}") for n in range(3)]
    responses.post(AIR_TRIGGER, json={"walletTransactionId": "wt-1"})

    statuses = deliveries_attempt(delivery_ids=_ids(*deliveries))

    assert statuses == {pk: Delivery.Status.SUCCEEDED for pk in _ids(*deliveries)}
    assert [json.loads(call.request.body)["reference"] for call in responses.calls] == ["ref-0", "ref-1", "ref-2"]
    for delivery in deliveries:
        attempt = delivery.attempt_log.get()
        assert attempt.error_message == ""
        assert json.loads(attempt.request_body) == delivery.body


@responses.activate
def test_air_requests_of_a_segment_kind_are_not_merged_into_its_batches(connector):
    air = [_air_delivery(connector, "ref-1"), _air_delivery(connector, "ref-2")]
    segment = [_segment_delivery(connector, "m-1"), _segment_delivery(connector, "m-2")]
    responses.post(AIR_TRIGGER, json={"walletTransactionId": "wt-1"})
    responses.post(SEGMENT_BATCH, json={"success": True})

    deliveries_attempt(delivery_ids=_ids(*air, *segment))

    assert sorted(call.request.url for call in responses.calls) == [AIR_TRIGGER, AIR_TRIGGER, SEGMENT_BATCH]


@responses.activate
def test_rows_left_when_the_claim_runs_short_are_given_back_unsent(connector, settings):
    settings.DELIVERY_CLAIM_SECONDS = 0
    sent, left = _air_delivery(connector, "ref-1"), _air_delivery(connector, "ref-2")
    responses.post(AIR_TRIGGER, json={"walletTransactionId": "wt-1"})

    statuses = deliveries_attempt(delivery_ids=_ids(sent, left))

    assert statuses == {sent.pk: Delivery.Status.SUCCEEDED, left.pk: Delivery.Status.PENDING}
    assert len(responses.calls) == 1
    left.refresh_from_db()
    assert (left.status, left.attempts, left.claim_expires_at, left.enqueued_at) == ("pending", 0, None, None)
    assert left.next_attempt_at <= timezone.now()
    assert not left.attempt_log.exists()


@responses.activate
def test_a_batch_refused_for_good_when_the_claim_runs_short_still_settles_one_delivery_per_claim(
    connector, settings
):
    """Otherwise the rows to be resent alone would be given back, claimed, merged and refused again."""
    settings.DELIVERY_CLAIM_SECONDS = 0
    deliveries = [_segment_delivery(connector, f"m-{n}") for n in range(3)]
    responses.post(SEGMENT_BATCH, status=400, json={"code": "invalid_message"})

    rounds = [deliveries_attempt(delivery_ids=_ids(*deliveries), top_up=True) for _ in range(3)]

    assert _sent_message_ids() == [["m-0", "m-1", "m-2"], ["m-0"], ["m-1", "m-2"], ["m-1"], ["m-2"]]
    assert [sorted(statuses.values()) for statuses in rounds] == [
        ["failed", "pending", "pending"], ["failed", "pending"], ["failed"]
    ]
    for delivery in deliveries:
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.attempt_log.count()) == ("failed", 1, 1)


@responses.activate
def test_a_row_reclaimed_by_someone_else_meanwhile_is_not_overwritten(connector):
    mine, reclaimed = _segment_delivery(connector, "m-1"), _segment_delivery(connector, "m-2")

    def segment(request):
        Delivery.objects.filter(pk=reclaimed.pk).update(status=Delivery.Status.RETRYING, claim_expires_at=None)
        return 200, {}, json.dumps({"success": True})

    responses.add_callback(responses.POST, SEGMENT_BATCH, callback=segment)

    deliveries_attempt(delivery_ids=_ids(mine, reclaimed))

    mine.refresh_from_db()
    reclaimed.refresh_from_db()
    assert mine.status == Delivery.Status.SUCCEEDED
    assert (reclaimed.status, reclaimed.delivered_at) == (Delivery.Status.RETRYING, None)
    assert reclaimed.attempt_log.get().outcome == "succeeded"


@responses.activate
def test_the_finished_hook_sees_the_status_code_of_this_attempt(connector, monkeypatch):
    delivery = _air_delivery(connector, "ref-1")
    responses.post(AIR_TRIGGER, status=404)
    seen = []
    monkeypatch.setattr(
        hooks, "on_delivery_finished",
        lambda *, delivery, succeeded, reason, result: seen.append((delivery.last_status_code, succeeded, reason)),
    )

    delivery_attempt(delivery_id=delivery.pk)

    assert seen == [(404, False, "identity 1111 not found in AIR")]


@responses.activate
def test_a_batch_is_claimed_sent_and_recorded_in_a_fixed_number_of_queries(connector, django_assert_num_queries):
    deliveries = [_segment_delivery(connector, f"m-{n}") for n in range(25)]
    responses.post(SEGMENT_BATCH, json={"success": True})
    # The destination's circuit and slots exist once it has had a request.
    first = destination_admit(connector_id=connector.pk, destination="segment", now=timezone.now())
    destination_settle(admission=first, now=timezone.now())

    # claim: savepoint, select, update, release; destination: its circuit, a slot leased; record:
    # savepoint, insert, update, release; the slot freed
    with django_assert_num_queries(11):
        statuses = deliveries_attempt(delivery_ids=_ids(*deliveries))

    assert set(statuses.values()) == {Delivery.Status.SUCCEEDED}
    assert len(responses.calls) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
@responses.activate
def test_two_workers_given_the_same_ids_never_claim_the_same_row():
    connector = ConnectorFactory()
    # Marked as hinted, so the sweeper of a platform another test left running leaves them alone.
    ids = _ids(*(_segment_delivery(connector, f"m-{n}", enqueued_at=timezone.now()) for n in range(40)))
    responses.post(SEGMENT_BATCH, json={"success": True})
    start = threading.Barrier(2)
    claimed: list[dict] = []

    def worker():
        start.wait()
        try:
            claimed.append(deliveries_attempt(delivery_ids=ids))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(claimed) == 2
    assert not set(claimed[0]) & set(claimed[1])
    assert set(claimed[0]) | set(claimed[1]) == set(ids)
    assert sorted(_every_sent_message_id()) == sorted(f"m-{n}" for n in range(40))


@responses.activate
def test_a_hint_tops_up_with_other_due_rows_of_its_connector_when_the_kind_merges(connector, settings):
    settings.DELIVERY_BATCH_SIZE = 3
    hinted = _segment_delivery(connector, "hinted")
    older = _segment_delivery(connector, "older", next_attempt_at=timezone.now() - timedelta(minutes=5))
    newer = _segment_delivery(connector, "newer")
    beyond_the_limit = _segment_delivery(connector, "beyond")
    not_due = _segment_delivery(connector, "later", next_attempt_at=timezone.now() + timedelta(minutes=5))
    other_connector = _segment_delivery(ConnectorFactory(), "other")
    air = _air_delivery(connector, "trigger-1")
    responses.post(SEGMENT_BATCH, json={"success": True})

    statuses = deliveries_attempt(delivery_ids=[hinted.pk], top_up=True)

    assert set(statuses) == set(_ids(hinted, older, newer))
    assert sorted(_every_sent_message_id()) == ["hinted", "newer", "older"]
    for untouched in (beyond_the_limit, not_due, other_connector, air):
        untouched.refresh_from_db()
        assert untouched.status == Delivery.Status.PENDING
        assert untouched.attempts == 0


@responses.activate
def test_without_top_up_only_the_hinted_rows_are_claimed(connector):
    hinted = _segment_delivery(connector, "hinted")
    _segment_delivery(connector, "other")
    responses.post(SEGMENT_BATCH, json={"success": True})

    assert deliveries_attempt(delivery_ids=[hinted.pk]) == {hinted.pk: Delivery.Status.SUCCEEDED}
    assert _every_sent_message_id() == ["hinted"]
