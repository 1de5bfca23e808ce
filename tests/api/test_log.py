"""The delivery log through the Config API: a notification sent to a connector set up through the
API is found with the console's filters, read with its attempts, and retried."""

import copy
import json
import uuid

import pytest
from django.contrib.auth.models import Permission

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from connectors.models import Connector
from events.intake.receive import events_receive
from events.models import BulkRetryJob, Delivery, DeliveryAttempt, Event
from tests.api.conftest import key_client
from tests.connectors.factories import AIR_SECRETS, AIR_SETTINGS, ConnectorFactory, UserFactory
from tests.events.factories import DeliveryAttemptFactory, DeliveryFactory, EventFactory

pytestmark = pytest.mark.django_db

SAMPLES = kind_get("air_segment").samples[Direction.OUT]


def notification() -> dict:
    body = copy.deepcopy(SAMPLES["SERVICE.WALLET.ACCOUNTS.CREATE"])
    body["headers"]["eesEventId"] = str(uuid.uuid4())
    return body


def test_set_up_through_the_api_a_notification_is_found_read_and_retried(
    staff_api, client, django_capture_on_commit_callbacks, hints
):
    # Given a client, an AIR connector and its outbound token, all made through the API
    client_id = staff_api.post("/api/v1/clients/", {"name": "Retailer", "slug": "retailer"}, format="json").json()["id"]
    created = staff_api.post(
        "/api/v1/connectors/",
        {"client": client_id, "kind": "air_segment", "name": "AIR", "settings": AIR_SETTINGS, "secrets": AIR_SECRETS},
        format="json",
    ).json()
    token = staff_api.post(f"/api/v1/connectors/{created['id']}/tokens/", {"direction": "out"}, format="json").json()
    # When AIR sends a notification to the URL the API gave
    body = notification()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            created["urls"]["out"].removeprefix("http://127.0.0.1:8000"),
            data=json.dumps(body), content_type="application/json", HTTP_X_AUTH_TOKEN=token["token"],
        )
    assert sent.status_code == 200
    # Then its delivery is found by the customer it is about (the sample's identity), as support
    # searches the console
    found = staff_api.get("/api/v1/deliveries/", {"q": "CUST-1001", "connector": created["id"]})
    assert found.status_code == 200
    [listed] = found.json()["results"]
    delivery = Delivery.objects.get()
    assert (listed["id"], listed["destination"], listed["status"]) == (delivery.pk, "segment", "pending")
    # and, once the worker has given up on it, retried by hand
    DeliveryAttemptFactory(delivery=delivery, response_status=500, outcome=DeliveryAttempt.Outcome.TERMINAL)
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED, attempts=1, next_attempt_at=None)
    read = staff_api.get(f"/api/v1/deliveries/{delivery.pk}/").json()
    assert [(a["number"], a["response_status"], a["outcome"]) for a in read["attempts_made"]] == [(1, 500, "terminal")]
    hints.clear()
    with django_capture_on_commit_callbacks(execute=True):
        retried = staff_api.post(f"/api/v1/deliveries/{delivery.pk}/retry/")
    assert retried.status_code == 200
    assert retried.json()["status"] == "pending"
    delivery.refresh_from_db()
    assert (delivery.next_trigger, delivery.next_triggered_by.username) == ("manual", "integrator")
    assert hints == [("events.deliveries_attempt", [[delivery.pk]])]


def test_an_event_is_read_with_its_deliveries_and_their_attempts(support_api):
    attempt = DeliveryAttemptFactory(response_status=503, outcome=DeliveryAttempt.Outcome.RETRY)
    event = attempt.delivery.event

    response = support_api.get(f"/api/v1/events/{event.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["source_event_id"], body["status"]) == (event.pk, event.source_event_id, "translated")
    assert [d["id"] for d in body["deliveries"]] == [attempt.delivery_id]
    assert [(a["number"], a["response_status"]) for a in body["deliveries"][0]["attempts_made"]] == [(1, 503)]
    assert (body["follow_ups"], body["caused_by"]) == ([], [])


def test_events_are_searched_with_the_consoles_filters(support_api):
    connector = ConnectorFactory()
    wanted = EventFactory(connector=connector, identity="4000000000000001", status=Event.Status.FAILED)
    EventFactory(connector=connector, identity="4000000000000001", status=Event.Status.TRANSLATED)
    EventFactory(identity="4000000000000001", status=Event.Status.FAILED)

    response = support_api.get(
        "/api/v1/events/", {"q": "4000000000000001", "status": "failed", "connector": connector.pk, "period": "day"}
    )

    assert response.status_code == 200
    assert [event["id"] for event in response.json()["results"]] == [wanted.pk]


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"status": "lost"}, [{"path": "status", "message": '"lost" is not a valid choice.'}]),
        ({"connector": "abc"}, [{"path": "connector", "message": "A valid integer is required."}]),
        ({"code": "6xx"}, [{"path": "code", "message": '"6xx" is not a valid choice.'}]),
        (
            {"from": "2026-02-30"},
            [{"path": "from", "message": "time range from: '2026-02-30' is not a day of the calendar."}],
        ),
        (
            {"from": "2026-05-02", "to": "2026-05-01"},
            [{"path": "to", "message": "time range: to (2026-05-01) is not after from (2026-05-02)."}],
        ),
    ],
)
def test_a_bad_filter_is_refused_naming_it(support_api, params, errors):
    response = support_api.get("/api/v1/deliveries/", params)

    assert response.status_code == 400
    assert response.json() == {"message": "The request is invalid: see errors.", "errors": errors}


def test_a_delivery_that_cannot_be_retried_answers_409_and_is_left_as_it_was(staff_api):
    delivery = DeliveryFactory(status=Delivery.Status.SUCCEEDED, next_attempt_at=None)

    response = staff_api.post(f"/api/v1/deliveries/{delivery.pk}/retry/")

    assert response.status_code == 409
    assert response.json() == {
        "message": f"Delivery {delivery.pk} is succeeded: only failed, retrying, pending, held deliveries "
        "of a connector that is not disabled are retried.",
        "errors": [],
    }
    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at, delivery.next_trigger) == ("succeeded", None, "auto")


def test_a_pending_delivery_is_cancelled_saying_who(staff_api):
    delivery = DeliveryFactory()

    response = staff_api.post(f"/api/v1/deliveries/{delivery.pk}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["last_error"].startswith("Cancelled by integrator at ")


def test_support_retries_but_a_user_who_may_only_read_cannot(support_api):
    delivery = DeliveryFactory(status=Delivery.Status.FAILED)
    reader = UserFactory()
    reader.user_permissions.add(Permission.objects.get(content_type__app_label="events", codename="view_delivery"))

    refused = key_client(reader).post(f"/api/v1/deliveries/{delivery.pk}/retry/")
    assert refused.status_code == 403
    assert Delivery.objects.get().status == Delivery.Status.FAILED
    assert support_api.post(f"/api/v1/deliveries/{delivery.pk}/retry/").status_code == 200


def test_an_event_is_replayed_into_new_deliveries(staff_api, hints):
    connector = ConnectorFactory()
    [received] = events_receive(connector=connector, direction="out", payload=notification())
    first = Delivery.objects.get()

    response = staff_api.post(f"/api/v1/events/{received.event.pk}/replay/")

    assert response.status_code == 201
    [replayed] = response.json()["deliveries"]
    assert replayed["replay_of"] == first.pk
    assert replayed["notes"].endswith("Replayed by integrator")
    assert Delivery.objects.count() == 2


def test_a_bulk_retry_job_is_started_for_the_failed_deliveries_a_filter_matches(staff_api, hints):
    connector = ConnectorFactory()
    DeliveryFactory.create_batch(2, event__connector=connector, status=Delivery.Status.FAILED)
    DeliveryFactory(event__connector=connector, status=Delivery.Status.SUCCEEDED)
    DeliveryFactory(status=Delivery.Status.FAILED)  # another connector's

    counted = staff_api.get("/api/v1/bulk-retries/count/", {"connector": connector.pk})
    started = staff_api.post("/api/v1/bulk-retries/", {"connector": connector.pk}, format="json")

    assert counted.json() == {"count": 2}
    assert started.status_code == 201
    job = BulkRetryJob.objects.get()
    assert started.json()["id"] == job.pk
    assert (job.total, job.filters, job.created_by.username) == (2, {"connector": str(connector.pk)}, "integrator")
    # Described as the console describes it: by the connector's name, not its id.
    assert job.description == f"connector {connector}"
    cancelled = staff_api.post(f"/api/v1/bulk-retries/{job.pk}/cancel/")
    assert cancelled.json()["status"] == "cancelled"
    assert staff_api.post(f"/api/v1/bulk-retries/{job.pk}/cancel/").status_code == 409


def test_a_connector_is_paused_holding_its_deliveries_and_resumed_releasing_them(support_api):
    delivery = DeliveryFactory()
    connector = delivery.connector

    paused = support_api.post(f"/api/v1/connectors/{connector.pk}/pause/")
    held = Delivery.objects.get().status
    resumed = support_api.post(f"/api/v1/connectors/{connector.pk}/resume/")

    assert paused.json() == {"state": "paused", "deliveries": 1}
    assert held == Delivery.Status.HELD
    assert resumed.json() == {"state": "active", "deliveries": 1}
    assert Delivery.objects.get().status == Delivery.Status.PENDING
    assert Connector.objects.get().state == Connector.State.ACTIVE


def test_an_event_whose_stored_payload_the_kind_no_longer_reads_is_not_replayed(staff_api):
    # An AIR notification without its headers: stored before the parser required them, say.
    event = EventFactory(payload={"detail": "no headers"})

    response = staff_api.post(f"/api/v1/events/{event.pk}/replay/")

    assert response.status_code == 409
    assert response.json() == {
        "message": "The stored payload cannot be read again by the connector's kind: Validation error.",
        "errors": [{"path": "payload.headers", "message": "Required: the AIR notification headers."}],
    }
    assert not Delivery.objects.exists()
