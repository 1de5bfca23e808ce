"""Receiving webhooks through the view: every answer of ARCHITECTURE.md §2, and what is stored."""

import copy
import json
import uuid
from datetime import UTC, timedelta
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from connectors.models import AuthToken, Connector
from connectors.tokens import token_issue, token_revoke
from events.delivery import hooks
from events.intake.receive import body_fingerprint
from events.models import Delivery, Event
from events.rules.mapping_rules import mapping_rules_save
from rewards.models import RewardLedgerEntry
from tests.connectors.factories import ConnectorFactory
from tests.events.perkville import check_in

pytestmark = pytest.mark.django_db
SAMPLES = kind_get("air_segment").samples


def notification(name="SERVICE.WALLET.ACCOUNTS.CREATE", **header_changes):
    body = copy.deepcopy(SAMPLES[Direction.OUT][name])
    body["headers"]["eesEventId"] = str(uuid.uuid4())
    body["headers"].update(header_changes)
    return body


@pytest.fixture
def connector():
    return ConnectorFactory()


@pytest.fixture
def out_token(connector):
    return token_issue(connector=connector, direction="out").plaintext


def post(client, connector, body, token, direction="out", content_type="application/json"):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(
        f"/{direction}/segment/{connector.public_id}", data=data, content_type=content_type, HTTP_X_AUTH_TOKEN=token
    )


def test_an_accepted_event_is_stored_translated_and_hinted_after_commit(
    client, connector, out_token, hints, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, connector, notification(), out_token)

    assert response.status_code == 200
    event = Event.objects.get()
    assert response.json() == {"status": "OK", "event_id": str(event.public_id)}
    assert response["X-EES-Connector-Trace-Id"] == str(event.public_id)
    assert event.status == Event.Status.TRANSLATED
    assert event.identity == "CUST-1001"
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.destination == "segment"
    assert hints == [("events.deliveries_attempt", [[delivery.pk]])]


def test_a_repeat_is_answered_ok_counted_and_creates_nothing(
    client, connector, out_token, hints, django_capture_on_commit_callbacks
):
    body = notification()
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, connector, body, out_token)

    with django_capture_on_commit_callbacks(execute=True):
        second = post(client, connector, body, out_token)

    assert second.status_code == 200
    assert second.json() == {"status": "OK", "event_id": first.json()["event_id"], "duplicate": True}
    assert Event.objects.get().duplicate_count == 1
    assert Delivery.objects.count() == 1
    assert len(hints) == 1


def test_an_unmapped_event_type_is_accepted_and_stored_as_ignored(
    client, connector, out_token, hints, django_capture_on_commit_callbacks
):
    body = notification()
    body["headers"]["eventName"] = "WALLET.CONSUMER.UPDATE"

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, connector, body, out_token)

    assert response.status_code == 200
    event = Event.objects.get()
    assert event.status == Event.Status.IGNORED
    assert "WALLET.CONSUMER.UPDATE" in event.error
    assert not Delivery.objects.exists()
    assert hints == []


def test_an_event_without_the_identity_type_is_stored_ignored_and_nothing_is_sent(client, out_token, connector):
    connector.settings = {**connector.settings, "identity_type": "LOYALTY_NUMBER"}
    connector.save()

    response = post(client, connector, notification(), out_token)

    assert response.status_code == 200
    event = Event.objects.get()
    assert event.status == Event.Status.IGNORED
    assert "LOYALTY_NUMBER" in event.error
    assert not Delivery.objects.exists()


def test_a_paused_connector_accepts_and_holds(
    client, connector, out_token, hints, django_capture_on_commit_callbacks
):
    Connector.objects.filter(pk=connector.pk).update(state=Connector.State.PAUSED)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, connector, notification(), out_token)

    assert response.status_code == 200
    assert Delivery.objects.get().status == Delivery.Status.HELD
    assert hints == []


def test_a_disabled_connector_refuses_with_403(client, connector, out_token):
    Connector.objects.filter(pk=connector.pk).update(state=Connector.State.DISABLED)

    response = post(client, connector, notification(), out_token)

    assert response.status_code == 403
    assert response.json() == {"message": "This connector is disabled"}
    assert not Event.objects.exists()


@pytest.mark.parametrize("token_kind", ["in", "other-connector", "revoked", "garbage"])
def test_tokens_of_another_direction_connector_or_revoked_are_refused(client, connector, token_kind):
    if token_kind == "in":
        token = token_issue(connector=connector, direction="in").plaintext
    elif token_kind == "other-connector":
        token = token_issue(connector=ConnectorFactory(), direction="out").plaintext
    elif token_kind == "revoked":
        issued = token_issue(connector=connector, direction="out")
        token_revoke(prefix_or_id=str(issued.token.pk))
        token = issued.plaintext
    else:
        token = "eec_out_not-a-token"

    response = post(client, connector, notification(), token)

    assert response.status_code == 403
    assert not Event.objects.exists()


def test_a_missing_token_is_401(client, connector):
    response = post(client, connector, notification(), "")

    assert response.status_code == 401
    assert response.json() == {"message": "Missing X-Auth-Token header"}


def test_an_unknown_connector_is_403(client, out_token):
    response = client.post(
        f"/out/segment/{uuid.uuid4()}", data="{}", content_type="application/json", HTTP_X_AUTH_TOKEN=out_token
    )

    assert response.status_code == 403


def test_invalid_json_is_400_with_the_reason(client, connector, out_token):
    response = post(client, connector, b"{nope", out_token)

    assert response.status_code == 400
    assert response.json()["message"] == "The body is not valid JSON"
    assert response.json()["errors"][0]["path"] == ""
    assert not Event.objects.exists()


def test_an_envelope_without_an_event_id_is_400_naming_the_field(client, connector, out_token):
    body = notification()
    del body["headers"]["eesEventId"]

    response = post(client, connector, body, out_token)

    assert response.status_code == 400
    assert "headers.eesEventId" in [error["path"] for error in response.json()["errors"]]
    assert not Event.objects.exists()


def test_a_body_that_is_not_json_is_415(client, connector, out_token):
    response = post(client, connector, "a=b", out_token, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert not Event.objects.exists()


def test_a_body_over_the_limit_is_413_before_parsing(client, connector, out_token, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 1000

    response = post(client, connector, {"padding": "x" * 2000}, out_token)

    assert response.status_code == 413
    assert not Event.objects.exists()


def test_over_the_connector_rate_is_429_with_retry_after(client, connector, out_token):
    Connector.objects.filter(pk=connector.pk).update(rate_limit_per_second=1)

    answers = [post(client, connector, notification(), out_token) for _ in range(3)]

    statuses = [answer.status_code for answer in answers]
    assert 429 in statuses
    refused = answers[statuses.index(429)]
    assert refused["Retry-After"] == "1"
    assert Event.objects.count() == statuses.count(200)


def test_the_database_refusing_the_event_is_503(client, connector, out_token, monkeypatch):
    def refuse(**kwargs):
        raise OperationalError("the database is restarting")

    monkeypatch.setattr("events.views.webhook_receive", refuse)

    response = post(client, connector, notification(), out_token)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"


def test_status_endpoints_answer_without_auth(client):
    for path in ("/status", "/in/segment/status", "/out/segment/status"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.json()["api"] == "ee-connect"


def test_readyz_names_what_is_down(client, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr("events.delivery.queue.current_app.connection_for_write", broken)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "down": {"broker": "broker down"}}


def test_the_database_failing_while_recording_the_tokens_use_is_503_too(client, connector, out_token, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("the database is restarting")

    monkeypatch.setattr("events.intake.webhook.token_touch", refuse)

    response = post(client, connector, notification(), out_token)

    assert response.status_code == 503
    assert not Event.objects.exists()


def test_an_expired_token_is_refused(client, connector):
    issued = token_issue(connector=connector, direction="out", expires_at=timezone.now() - timedelta(seconds=1))

    response = post(client, connector, notification(), issued.plaintext)

    assert response.status_code == 403
    assert not Event.objects.exists()


def test_the_tokens_last_use_is_recorded_at_most_once_a_minute(client, connector):
    issued = token_issue(connector=connector, direction="out")

    post(client, connector, notification(), issued.plaintext)
    issued.token.refresh_from_db()
    first_use = issued.token.last_used_at
    post(client, connector, notification(), issued.plaintext)
    issued.token.refresh_from_db()

    assert first_use is not None
    assert issued.token.last_used_at == first_use


def _tracked_event_names(event: Event) -> list[str]:
    return [m["event"] for d in event.deliveries.all() for m in d.body["batch"] if m["type"] == "track"]


def test_rules_saved_apply_to_the_very_next_webhook(client, connector, out_token, admin_user):
    post(client, connector, notification(), out_token)
    rules = copy.deepcopy(kind_get("air_segment").default_rules[Direction.OUT])
    [joined] = [rule for rule in rules if rule["event_type"] == "SERVICE.WALLET.ACCOUNTS.CREATE"]
    joined["messages"][0]["event"] = "Member Signed Up"
    mapping_rules_save(connector=connector, direction="out", rules=rules, user=admin_user)

    post(client, connector, notification(), out_token)

    before, after = Event.objects.order_by("received_at")
    assert _tracked_event_names(before) == ["EE Loyalty Program Joined"]
    assert _tracked_event_names(after) == ["Member Signed Up"]


def test_the_stored_payload_is_the_body_as_posted(client, connector, out_token):
    body = notification()
    body["headers"]["note"] = 'quotes " and unicode ✓ survive'

    post(client, connector, json.dumps(body, ensure_ascii=False).encode(), out_token)

    assert Event.objects.get().payload == body


def test_a_connector_disabled_or_a_token_revoked_after_a_webhook_refuses_the_next_one(client, connector, out_token):
    """The connector is kept per process between webhooks, under its revision: a change in the
    admin or from any process applies to the very next webhook."""
    assert post(client, connector, notification(), out_token).status_code == 200

    connector.state = Connector.State.DISABLED
    connector.save()
    assert post(client, connector, notification(), out_token).json() == {"message": "This connector is disabled"}

    connector.state = Connector.State.ACTIVE
    connector.save()
    assert post(client, connector, notification(), out_token).status_code == 200

    Connector.objects.filter(pk=connector.pk).update(state=Connector.State.DISABLED)  # no save(): same updated_at
    assert post(client, connector, notification(), out_token).status_code == 403

    Connector.objects.filter(pk=connector.pk).update(state=Connector.State.ACTIVE)
    token_revoke(prefix_or_id=str(connector.tokens.get(direction="out").pk))
    assert post(client, connector, notification(), out_token).status_code == 403
    assert Event.objects.count() == 2


def test_a_webhook_url_answers_only_post(client, connector, out_token):
    response = client.get(f"/out/segment/{connector.public_id}", HTTP_X_AUTH_TOKEN=out_token)

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json() == {"message": "Method GET not allowed; send the event with POST"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_the_guarded_insert_is_prepared_on_the_connection_after_a_few_webhooks(client, connector, out_token):
    for _ in range(4):
        assert post(client, connector, notification(), out_token).status_code == 200

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    guarded = [text for text in prepared if text.startswith("WITH caller AS (SELECT") and "EXISTS" in text]
    assert any("INSERT INTO events_event" in text for text in guarded), prepared
    assert len(Event.objects.all()) == 4


# A caller accepted once is remembered by the process: its next webhook is one statement on
# PostgreSQL (no lookup), and anything that changed about it meanwhile is still refused at once.


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the guarded insert is PostgreSQL's")
def test_a_remembered_callers_next_webhook_is_one_statement(client, connector, out_token, django_assert_num_queries):
    assert post(client, connector, notification(), out_token).status_code == 200

    with django_assert_num_queries(1) as queries:
        response = post(client, connector, notification(), out_token)

    assert response.status_code == 200
    assert queries.captured_queries[0]["sql"].startswith("WITH caller AS (SELECT")
    assert Event.objects.count() == 2


def test_a_token_revoked_after_a_webhook_refuses_the_next_one_even_with_a_bad_body(client, connector, out_token):
    assert post(client, connector, notification(), out_token).status_code == 200
    token_revoke(prefix_or_id=str(connector.tokens.get(direction="out").pk))

    response = post(client, connector, b"{not json", out_token)

    assert response.status_code == 403
    assert response.json() == {"message": "Unknown connector or wrong token"}


def test_a_token_that_expired_after_a_webhook_refuses_the_next_one(client, connector):
    issued = token_issue(connector=connector, direction="out", expires_at=timezone.now() + timedelta(hours=1))
    assert post(client, connector, notification(), issued.plaintext).status_code == 200
    AuthToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = post(client, connector, notification(), issued.plaintext)

    assert response.status_code == 403
    assert Event.objects.count() == 1


def test_a_connector_disabled_after_a_webhook_stores_nothing_more(client, connector, out_token):
    assert post(client, connector, notification(), out_token).status_code == 200
    Connector.objects.filter(pk=connector.pk).update(state=Connector.State.DISABLED)

    response = post(client, connector, notification(), out_token)

    assert response.json() == {"message": "This connector is disabled"}
    assert Event.objects.count() == 1


def test_a_change_is_checked_for_an_event_with_reward_bookkeeping_too(client, connector, out_token, monkeypatch):
    """An event with reward bookkeeping is stored in a transaction with it: the remembered caller
    is still checked, by the insert itself."""
    monkeypatch.setattr(hooks, "on_event_stored_wanted", lambda **kwargs: True)
    assert post(client, connector, notification(), out_token).status_code == 200
    token_revoke(prefix_or_id=str(connector.tokens.get(direction="out").pk))

    assert post(client, connector, notification(), out_token).status_code == 403
    assert Event.objects.count() == 1


def test_a_caller_refused_is_not_remembered(client, connector, out_token):
    assert post(client, connector, notification(), "eec_out_wrong").status_code == 403
    assert post(client, connector, notification(), out_token).status_code == 200
    assert post(client, connector, notification(), "eec_out_wrong").status_code == 403
    assert Event.objects.count() == 1


def test_a_webhook_answered_again_after_its_caller_changed_counts_once_towards_the_rate(
    client, connector, out_token, monkeypatch
):
    """The remembered caller's attempt and the fresh lookup's answer are one webhook to the limit."""
    monkeypatch.setattr("events.intake.webhook.time", SimpleNamespace(time=lambda: 1_700_000_000.0))
    cache.delete(f"rate:{connector.pk}:1700000000")
    Connector.objects.filter(pk=connector.pk).update(rate_limit_per_second=5)
    assert post(client, connector, notification(), out_token).status_code == 200
    Connector.objects.filter(pk=connector.pk).update(updated_at=timezone.now())  # the remembered caller no longer holds

    assert post(client, connector, notification(), out_token).status_code == 200

    assert cache.get(f"rate:{connector.pk}:1700000000") == 2
    assert Event.objects.count() == 2


# --- Segment → AIR triggers, as Segment's Eagle Eye destination sends them ----------------------------


def trigger(identity="CUST-1001", reference="seg-msg-0001", triggers="WELCOME1"):
    """The body Segment's destination posts: its trigger setting split on commas, no walletTransaction
    when the mapped reference is empty."""
    body = {"identityValue": identity, "triggers": [{"reference": value} for value in triggers.split(",")]}
    if reference:
        body["walletTransaction"] = {"reference": reference}
    return {"type": "services/trigger", "body": body}


@pytest.fixture
def in_token(connector):
    return token_issue(connector=connector, direction="in").plaintext


def air_references():
    return list(Delivery.objects.order_by("pk").values_list("idempotency_key", flat=True))


def test_two_reference_less_triggers_for_one_customer_are_two_rewards(client, connector, in_token):
    first = post(client, connector, trigger(reference=None), in_token, direction="in")
    second = post(client, connector, trigger(reference=None), in_token, direction="in")

    assert [first.json().get("duplicate"), second.json().get("duplicate")] == [None, None]
    assert Event.objects.count() == 2
    [one, other] = air_references()
    assert one != other
    assert one.startswith("eec-") and other.startswith("eec-")


def test_a_segment_retry_is_a_duplicate_and_sends_nothing_more(client, connector, in_token):
    first = post(client, connector, trigger(), in_token, direction="in")

    again = post(client, connector, trigger(), in_token, direction="in")

    assert again.json() == {"status": "OK", "event_id": first.json()["event_id"], "duplicate": True}
    assert Event.objects.get().duplicate_count == 1
    assert Delivery.objects.count() == 1


def test_one_reference_for_two_customers_or_two_sets_of_triggers_is_three_rewards(client, connector, in_token):
    post(client, connector, trigger(identity="CUST-1"), in_token, direction="in")
    post(client, connector, trigger(identity="CUST-2"), in_token, direction="in")
    post(client, connector, trigger(identity="CUST-1", triggers="P1"), in_token, direction="in")

    assert Event.objects.filter(status=Event.Status.TRANSLATED).count() == 3
    references = air_references()
    assert len(set(references)) == 3
    assert all(reference.startswith("seg-msg-0001-") for reference in references)


def test_an_empty_trigger_element_is_refused_on_the_event_and_the_others_reach_air(client, connector, in_token):
    response = post(client, connector, trigger(triggers="A1,,P1"), in_token, direction="in")

    assert response.status_code == 200
    event = Event.objects.get()
    assert event.context["refused_triggers"] == [
        {"index": 1, "reason": "An empty trigger reference (an empty element of the audience's comma-separated list)."}
    ]
    delivery = Delivery.objects.get()
    assert delivery.body["triggers"] == [{"reference": "A1"}, {"reference": "P1"}]
    assert delivery.notes.startswith("Not sent to AIR, 1 of the 3 trigger elements Segment sent: triggers[1]: ")


def test_a_trigger_with_no_usable_reference_is_400_naming_the_path_and_stores_nothing(client, connector, in_token):
    response = post(client, connector, trigger(triggers=","), in_token, direction="in")

    assert response.status_code == 400
    assert [error["path"] for error in response.json()["errors"]] == [
        "body.triggers[0].reference",
        "body.triggers[1].reference",
    ]
    assert not Event.objects.exists()


@pytest.mark.parametrize("direction", ["in", "out"])
def test_a_webhook_url_with_a_trailing_slash_is_accepted(client, connector, direction):
    token = token_issue(connector=connector, direction=direction).plaintext
    body = trigger() if direction == "in" else notification()

    response = client.post(
        f"/{direction}/segment/{connector.public_id}/",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_X_AUTH_TOKEN=token,
    )

    assert response.status_code == 200
    assert Event.objects.get().direction == direction


def test_a_segment_retry_of_a_trigger_stored_under_its_reference_alone_is_a_duplicate(client, connector, in_token):
    """Stored before the key took in identity and triggers: the source id was Segment's reference."""
    earlier = Event.objects.create(
        connector=connector,
        direction="in",
        event_type="services/trigger",
        source_event_id="seg-msg-0001",
        identity="CUST-1001",
        received_at=timezone.now(),
        context={
            "identity_value": "CUST-1001",
            "trigger_references": ["WELCOME1"],
            "wallet_transaction_reference": "seg-msg-0001",
        },
        status=Event.Status.TRANSLATED,
    )

    retry = post(client, connector, trigger(), in_token, direction="in")
    other_customer = post(client, connector, trigger(identity="CUST-2002"), in_token, direction="in")

    assert retry.json()["duplicate"] is True
    repeat = Event.objects.get(public_id=retry.json()["event_id"])
    assert (repeat.status, repeat.error) == (
        Event.Status.IGNORED,
        f"A repeat of event {earlier.public_id}: the same wallet transaction reference, identity and triggers "
        "(a Segment retry); not sent again.",
    )
    assert "duplicate" not in other_customer.json()
    assert [delivery.event.identity for delivery in Delivery.objects.all()] == ["CUST-2002"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one statement is PostgreSQL's")
def test_a_trigger_takes_the_one_statement_too_with_its_ledger_entry_beside_it(client, connector, in_token):
    """A reward request is stored as every event is, its ledger entry in the same transaction."""
    with CaptureQueriesContext(connection) as queries:
        response = post(client, connector, trigger(), in_token, direction="in")

    assert response.status_code == 200
    statements = [query["sql"] for query in queries.captured_queries]
    assert any(sql.startswith("WITH caller AS") and "INSERT INTO events_event" in sql for sql in statements)
    assert not any('INSERT INTO "events_event"' in sql or 'INSERT INTO "events_delivery"' in sql for sql in statements)
    assert list(RewardLedgerEntry.objects.values_list("delivery_id", flat=True)) == [Delivery.objects.get().pk]


@pytest.fixture
def clock(monkeypatch):
    """The receive step's clock, moved by hand."""
    now = [timezone.now()]
    monkeypatch.setattr("events.intake.receive.timezone", SimpleNamespace(now=lambda: now[0]))
    return now


def test_the_repeat_window_counts_the_same_identity_and_triggers_once(client, connector, in_token, clock):
    connector.settings = {**connector.settings, "trigger_dedupe_window_seconds": 30}
    connector.save()
    first = post(client, connector, trigger(reference="msg-1"), in_token, direction="in")
    clock[0] += timedelta(seconds=29)

    # Segment's Identify and Track both enabled: the same trigger again, with another messageId.
    repeat = post(client, connector, trigger(reference="msg-2", triggers="WELCOME1,WELCOME1"), in_token, direction="in")
    other_trigger = post(client, connector, trigger(reference="msg-3", triggers="P1"), in_token, direction="in")
    clock[0] += timedelta(seconds=1)  # 30 s after the first: the window has ended
    later = post(client, connector, trigger(reference="msg-4"), in_token, direction="in")

    assert [response.json().get("duplicate") for response in (first, repeat, other_trigger, later)] == [
        None,
        True,
        None,
        None,
    ]
    ignored = Event.objects.get(public_id=repeat.json()["event_id"])
    until = clock[0].astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")  # the first's time + 30 s
    assert (ignored.status, ignored.error) == (
        Event.Status.IGNORED,
        f"Counted once: event {first.json()['event_id']} sent the same identity and triggers, and this connector "
        f"counts them once within 30 s (until {until} UTC); not sent.",
    )
    sent = Delivery.objects.order_by("pk").values_list("event__public_id", flat=True)
    assert [str(public_id) for public_id in sent] == [
        first.json()["event_id"],
        other_trigger.json()["event_id"],
        later.json()["event_id"],
    ]


def test_without_a_window_the_same_identity_and_triggers_are_each_sent(client, connector, in_token, clock):
    post(client, connector, trigger(reference="msg-1"), in_token, direction="in")
    post(client, connector, trigger(reference="msg-2"), in_token, direction="in")

    assert Delivery.objects.count() == 2


# Segment batches: a bad message is refused alone, the others are received --------------------



def misspelled_check_in() -> dict:
    """A check-in whose sender wrote ``userID``: it has no userId (nor anonymousId)."""
    message = check_in(2)
    message["userID"] = message.pop("userId")
    return message


def test_a_bad_message_beside_a_good_one_is_refused_alone_and_the_good_one_is_delivered(
    client, perkville, perkville_token, hints, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client, perkville, {"batch": [check_in(1), misspelled_check_in()]}, perkville_token, direction="in"
        )

    assert response.status_code == 200, response.content
    good = Event.objects.get(source_event_id="m-1")
    bad = Event.objects.get(status=Event.Status.REFUSED)
    assert response.json() == {
        "status": "OK",
        "event_ids": [str(good.public_id)],
        "duplicates": 0,
        "refused": [
            {
                "index": 1,
                "path": "batch[1].userId",
                "message": "Either userId or anonymousId is required (non-empty text).",
                "event_id": str(bad.public_id),
            }
        ],
    }
    assert good.status == Event.Status.TRANSLATED
    delivery = Delivery.objects.get()
    assert (delivery.event_id, delivery.destination, delivery.status) == (good.pk, "perkville", Delivery.Status.PENDING)
    assert hints == [("events.deliveries_attempt", [[delivery.pk]])]
    # What support sees: the message as sent, why it was refused, and its place in the batch.
    assert bad.payload == misspelled_check_in()
    assert bad.error == "batch[1].userId: Either userId or anonymousId is required (non-empty text)."
    # no userId: its identity is its email, as for a received check-in
    assert (bad.event_type, bad.identity) == ("track:Checked In", "member2@example.com")
    assert bad.context == {"batch_index": 1}
    # keyed by a hash of the message, not by its messageId (m-2), which its corrected resend keeps
    assert bad.source_event_id == "refused:" + body_fingerprint(misspelled_check_in())
    assert not bad.deliveries.exists()


def test_a_refused_messages_corrected_resend_is_a_new_event_and_its_repeat_a_duplicate(
    client, perkville, perkville_token
):
    body = {"batch": [check_in(1), misspelled_check_in()]}
    post(client, perkville, body, perkville_token, direction="in")

    repeat = post(client, perkville, body, perkville_token, direction="in")
    corrected = post(client, perkville, {"batch": [check_in(2)]}, perkville_token, direction="in")

    # The repeat: both of its messages are known, the refused one counted on its refusal.
    assert repeat.status_code == 200
    assert repeat.json()["duplicates"] == 1
    assert Event.objects.get(status=Event.Status.REFUSED).duplicate_count == 1
    # The corrected message keeps the messageId m-2 its refusal never took: a new event.
    assert corrected.status_code == 200
    assert "duplicate" not in corrected.json()
    assert Event.objects.get(source_event_id="m-2").status == Event.Status.TRANSLATED
    assert Delivery.objects.count() == 2


def test_a_batch_of_bad_messages_only_is_400_naming_each_and_stores_nothing(client, perkville, perkville_token):
    body = {"batch": [misspelled_check_in(), check_in(3, event=""), check_in(4, properties="x")]}

    response = post(client, perkville, body, perkville_token, direction="in")

    assert response.status_code == 400
    assert response.json() == {
        "message": "Validation error",
        "errors": [
            {"path": "batch[0].userId", "message": "Either userId or anonymousId is required (non-empty text)."},
            {"path": "batch[1].event", "message": "A track call needs an event name."},
            {"path": "batch[2].properties", "message": "Must be a JSON object."},
        ],
    }
    assert not Event.objects.exists()
    assert not Delivery.objects.exists()


def test_a_database_error_while_storing_a_partly_refused_batch_stores_none_of_it(
    client, perkville, perkville_token, monkeypatch
):
    from events.intake import receive

    real_store = receive.event_store
    stored = []

    def fail_on_the_second(event, deliveries, **kwargs):
        if stored:
            raise OperationalError("connection to server lost")
        stored.append(event.source_event_id)
        return real_store(event, deliveries, **kwargs)

    monkeypatch.setattr(receive, "event_store", fail_on_the_second)

    response = post(
        client, perkville, {"batch": [check_in(1), misspelled_check_in()]}, perkville_token, direction="in"
    )

    assert response.status_code == 503
    assert stored == ["m-1"]  # stored, then rolled back with the refused one
    assert not Event.objects.exists()
    assert not Delivery.objects.exists()


def test_a_refused_message_is_found_in_the_admin_by_its_status_and_is_not_replayed(
    client, perkville, perkville_token, admin_client
):
    post(client, perkville, {"batch": [check_in(1), misspelled_check_in()]}, perkville_token, direction="in")
    refused = Event.objects.get(status=Event.Status.REFUSED)

    listed = admin_client.get(reverse("admin:events_event_changelist"), {"status": "refused"})
    replayed = admin_client.post(
        reverse("admin:events_event_changelist"), {"action": "replay", "_selected_action": [refused.pk]}
    )

    assert listed.status_code == 200
    assert list(listed.context["cl"].result_list) == [refused]
    assert ("refused", "Refused") in Event.Status.choices
    assert replayed.status_code == 302
    assert Delivery.objects.filter(event=refused).count() == 0
