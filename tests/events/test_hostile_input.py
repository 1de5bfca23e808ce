"""Hostile and malformed webhook bodies: each is a 4xx naming what was wrong, never a 5xx, and
nothing is stored for a refused body; 503 is kept for a database or broker that is really down."""

import copy
import hashlib
import io
import json
import uuid

import pytest
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
from django.test.client import ClientHandler, RequestFactory
from kombu.exceptions import OperationalError as BrokerOperationalError

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from connectors.tokens import token_issue
from events.intake.webhook_body import MAX_DEPTH
from events.models import Delivery, Event
from tests.connectors.factories import ConnectorFactory
from tests.events.perkville import check_in

pytestmark = pytest.mark.django_db
SAMPLES = kind_get("air_segment").samples


def notification():
    body = copy.deepcopy(SAMPLES[Direction.OUT]["SERVICE.WALLET.ACCOUNTS.CREATE"])
    body["headers"]["eesEventId"] = str(uuid.uuid4())
    return body


@pytest.fixture
def connector():
    return ConnectorFactory()


@pytest.fixture
def out_token(connector):
    return token_issue(connector=connector, direction="out").plaintext


def post(client, connector, data: bytes | str, token, content_type="application/json"):
    return client.post(
        f"/out/segment/{connector.public_id}", data=data, content_type=content_type, HTTP_X_AUTH_TOKEN=token
    )


def with_value(text: str) -> bytes:
    """A valid notification whose ``headers.extra`` is the given JSON text, as sent."""
    body = json.dumps(notification())
    return body.replace('"headers": {', f'"headers": {{"extra": {text}, ', 1).encode()


def refused(response, status=400):
    assert response.status_code == status, response.content
    assert not Event.objects.exists()
    assert not Delivery.objects.exists()
    return [(error["path"], error["message"]) for error in response.json().get("errors", [])]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("NaN", "NaN is not a JSON number."),
        ("Infinity", "Infinity is not a JSON number."),
        ("-Infinity", "-Infinity is not a JSON number."),
        ("1e400", "1e400 is too large for a number."),  # past a double's 1.8e308
        ("-1.5E+0400", "-1.5E+0400 is too large for a number."),
        ("1e-400", "1e-400 is too small for a number."),  # below a double's 5e-324: it would read as 0
        ('"nul \\u0000 inside"', "The text holds \\u0000, which cannot be stored."),
        ('"\\ud800 alone"', "The text holds a UTF-16 surrogate escape (\\ud800 to \\udfff) without its pair."),
        ('"\\udc00"', "The text holds a UTF-16 surrogate escape (\\ud800 to \\udfff) without its pair."),
    ],
)
def test_values_that_cannot_be_stored_are_400_naming_their_path(client, connector, out_token, text, message):
    response = post(client, connector, with_value(f'{{"list": [1, {text}]}}'), out_token)

    assert refused(response) == [("headers.extra.list[1]", message)]
    assert response.json()["message"] == "The body holds values that cannot be stored"


def test_an_integer_past_pythons_digit_limit_is_400_naming_its_path(client, connector, out_token):
    response = post(client, connector, with_value("1" * 5000), out_token)

    assert refused(response) == [("headers.extra", "An integer of 5000 digits; at most 4300.")]


def test_a_key_holding_nul_is_400_naming_it(client, connector, out_token):
    response = post(client, connector, with_value('{"a\\u0000b": 1}'), out_token)

    assert refused(response) == [("headers.extra.a\x00b", "The key holds \\u0000, which cannot be stored.")]


def test_every_unstorable_value_is_named_in_document_order(client, connector, out_token):
    response = post(client, connector, with_value('{"a": NaN, "b": ["ok", "\\u0000"], "c": 1e999}'), out_token)

    assert [path for path, _ in refused(response)] == ["headers.extra.a", "headers.extra.b[1]", "headers.extra.c"]


def test_escapes_that_look_suspect_but_are_fine_are_accepted(client, connector, out_token):
    # An escaped backslash before "u0000" is the six characters \u0000; a surrogate pair is an emoji.
    body = with_value('["\\\\u0000", "\\ud83d\\ude00", "NaN", 1.5e300, ' + "9" * 300 + "]")

    response = post(client, connector, body, out_token)

    assert response.status_code == 200, response.content
    *texts, large, huge = Event.objects.get().payload["headers"]["extra"]
    assert texts == ["\\u0000", "😀", "NaN"]
    # PostgreSQL's jsonb keeps 1.5e300 as the exact decimal it reads (it comes back an int), SQLite as a float.
    assert float(large) == 1.5e300
    assert huge == int("9" * 300)


def test_nesting_deeper_than_the_limit_is_400_before_parsing(client, connector, out_token):
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)

    response = post(client, connector, with_value(deep), out_token)

    assert refused(response) == [("", f"Nested more than {MAX_DEPTH} levels deep.")]


def test_nesting_a_hundred_thousand_levels_deep_is_400_not_a_recursion_error(client, connector, out_token):
    response = post(client, connector, b"[" * 100_000, out_token)

    assert refused(response) == [("", f"Nested more than {MAX_DEPTH} levels deep.")]


def test_brackets_inside_strings_do_not_count_as_nesting(client, connector, out_token):
    # The notification itself nests 5 levels; "headers.extra" adds one: 6 levels, whatever the text.
    body = with_value(json.dumps(["[" * 200 + '\\"{' * 100, "]" * 300]))

    response = post(client, connector, body, out_token)

    assert response.status_code == 200, response.content


def test_nesting_at_the_limit_is_accepted(client, connector, out_token):
    body = notification()
    body["headers"]["extra"] = json.loads("[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2))  # 2 + 62 = 64 levels

    response = post(client, connector, json.dumps(body), out_token)

    assert response.status_code == 200, response.content


def test_a_utf8_byte_order_mark_is_ignored_and_not_stored(client, connector, out_token):
    body = json.dumps(notification()).encode()

    response = post(client, connector, b"\xef\xbb\xbf" + body, out_token)

    assert response.status_code == 200, response.content
    assert Event.objects.get().payload == json.loads(body)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_bodies_are_415(client, connector, out_token, encoding):
    response = post(client, connector, json.dumps(notification()).encode(encoding), out_token)

    refused(response, 415)
    assert response.json()["message"].startswith("The body must be UTF-8 JSON; it looks like UTF-")


def test_a_declared_charset_other_than_utf8_is_415(client, connector, out_token):
    body = json.dumps(notification()).encode()

    latin = post(client, connector, body, out_token, content_type="application/json; charset=iso-8859-1")
    utf8 = post(client, connector, body, out_token, content_type="application/json; charset=UTF-8")

    assert latin.status_code == 415
    assert latin.json()["message"] == "The body must be UTF-8 JSON, not iso-8859-1"
    assert utf8.status_code == 200
    assert Event.objects.count() == 1


def test_bytes_that_are_not_utf8_are_400_with_the_position(client, connector, out_token):
    response = post(client, connector, b'{"headers": "\xff"}', out_token)

    assert refused(response) == [("", "Not UTF-8 at byte 13: invalid start byte.")]


def test_a_blank_body_is_400(client, connector, out_token):
    response = post(client, connector, b" ", out_token)

    assert refused(response) == [("", "Expecting value: line 1 column 2 (char 1)")]


# What the database says, and what the sender is told.


def _database_says(monkeypatch, error):
    def fail(**kwargs):
        raise error

    monkeypatch.setattr("events.views.webhook_receive", fail)


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("connection to server lost"),
        InterfaceError("connection already closed"),
        BrokerOperationalError("broker connection refused"),
    ],
)
def test_only_an_unreachable_database_or_broker_is_503(client, connector, out_token, monkeypatch, error):
    _database_says(monkeypatch, error)

    response = post(client, connector, json.dumps(notification()), out_token)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {"message": "The platform cannot store events right now; retry later"}


@pytest.mark.parametrize(
    "error",
    [
        DataError("value too long for type character varying(200)"),
        IntegrityError("insert or update on table violates foreign key constraint"),
        ValueError("A string literal cannot contain NUL (0x00) characters."),
    ],
)
def test_a_value_the_database_refuses_is_400_not_503(client, connector, out_token, monkeypatch, error):
    _database_says(monkeypatch, error)

    response = post(client, connector, json.dumps(notification()), out_token)

    assert response.status_code == 400
    assert response.json() == {
        "message": "The body holds a value that cannot be stored",
        "errors": [{"path": "", "message": str(error)}],
    }


def test_a_program_limit_of_postgresql_is_400_though_it_is_an_operational_error(
    client, connector, out_token, monkeypatch
):
    class ProgramLimitExceeded(Exception):
        sqlstate = "54000"

    error = OperationalError("index row size 3000 exceeds btree version 4 maximum 2704")
    error.__cause__ = ProgramLimitExceeded()
    _database_says(monkeypatch, error)

    response = post(client, connector, json.dumps(notification()), out_token)

    assert response.status_code == 400


def test_an_unexpected_failure_is_the_documented_json_error_not_a_page(client, connector, out_token, monkeypatch):
    _database_says(monkeypatch, KeyError("a defect"))

    response = post(client, connector, json.dumps(notification()), out_token)

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "message": "The platform failed to receive this webhook; a retry is safe (a repeat is recognised)",
        "errors": [],
    }


# A chunked body, as gunicorn hands it to Django: no Content-Length, the stream de-chunked and
# ending where the body does, and ``wsgi.input_terminated`` set to say so.


def _chunked(connector, token, body: bytes):
    environ = RequestFactory()._base_environ(
        PATH_INFO=f"/out/segment/{connector.public_id}",
        REQUEST_METHOD="POST",
        CONTENT_TYPE="application/json",
        HTTP_X_AUTH_TOKEN=token,
        HTTP_TRANSFER_ENCODING="chunked",
    )
    environ.pop("CONTENT_LENGTH", None)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["wsgi.input_terminated"] = True
    return ClientHandler(enforce_csrf_checks=False)(environ)


def test_a_chunked_body_is_read(connector, out_token):
    body = notification()

    response = _chunked(connector, out_token, json.dumps(body).encode())

    assert response.status_code == 200, response.content
    assert Event.objects.get().payload == body


def test_a_chunked_body_over_the_limit_is_413(connector, out_token, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 1000

    response = _chunked(connector, out_token, json.dumps({"padding": "x" * 2000}).encode())

    assert response.status_code == 413
    assert not Event.objects.exists()


# Segment batches: stored whole or not at all, within Segment's limits; ids never cut short.



def post_in(client, connector, body, token):
    data = body if isinstance(body, bytes) else json.dumps(body)
    return client.post(
        f"/in/segment/{connector.public_id}", data=data, content_type="application/json", HTTP_X_AUTH_TOKEN=token
    )


def test_a_batch_is_stored_with_a_delivery_per_message(client, perkville, perkville_token):
    response = post_in(client, perkville, {"batch": [check_in(1), check_in(2), check_in(3)]}, perkville_token)

    assert response.status_code == 200, response.content
    assert response.json()["duplicates"] == 0
    assert sorted(Event.objects.values_list("source_event_id", flat=True)) == ["m-1", "m-2", "m-3"]
    assert Delivery.objects.count() == 3


def test_a_failure_part_way_through_a_batch_leaves_none_of_it_stored(client, perkville, perkville_token, monkeypatch):
    from events.intake import receive

    stored = []
    real_store = receive.event_store

    def store_twice_then_fail(event, deliveries, **kwargs):
        if len(stored) == 2:
            raise OperationalError("connection to server lost")
        stored.append(event.source_event_id)
        return real_store(event, deliveries, **kwargs)

    monkeypatch.setattr(receive, "event_store", store_twice_then_fail)

    response = post_in(client, perkville, {"batch": [check_in(1), check_in(2), check_in(3)]}, perkville_token)

    assert response.status_code == 503
    assert stored == ["m-1", "m-2"]  # stored, then rolled back with the third
    assert not Event.objects.exists()
    assert not Delivery.objects.exists()


def test_a_batch_of_more_than_2500_messages_is_400_before_storing(client, perkville, perkville_token):
    response = post_in(client, perkville, {"batch": [check_in(n) for n in range(2501)]}, perkville_token)

    assert refused(response) == [("batch", "At most 2500 messages in a batch (2501 sent).")]


def test_a_batch_over_500_kb_is_413_before_storing(client, perkville, perkville_token):
    # 2 messages of about 300 KB each: 600 KB, over Segment's 500 KB (the body limit is 1 MB).
    padding = "x" * 300_000
    body = {"batch": [check_in(1, properties={"note": padding}), check_in(2, properties={"note": padding})]}

    response = post_in(client, perkville, body, perkville_token)

    assert response.status_code == 413
    assert response.json() == {"message": "A batch is at most 500 KB (Segment's limit)", "errors": []}
    assert not Event.objects.exists()


def test_ids_longer_than_kept_are_400_naming_the_field_never_cut(client, perkville, perkville_token):
    # Two ids equal in their first 200 characters would have been stored as one event.
    common = "m" * 200
    body = {"batch": [check_in(1, messageId=common + "-a"), check_in(2, messageId=common + "-b")]}

    response = post_in(client, perkville, body, perkville_token)

    assert refused(response) == [
        ("batch[0].messageId", "At most 200 characters (202 sent)."),
        ("batch[1].messageId", "At most 200 characters (202 sent)."),
    ]


def test_an_identity_longer_than_kept_is_400_naming_it(client, perkville, perkville_token):
    # No userId: the identity is the email, 201 characters (189 + "@example.com").
    message = check_in(1, userId=None, anonymousId="a-1", properties={"email": "e" * 189 + "@example.com"})

    response = post_in(client, perkville, message, perkville_token)

    assert refused(response) == [("identity", "The customer's identity is 201 characters; at most 200 are kept.")]


def test_a_track_event_name_longer_than_its_event_type_column_is_400(client, perkville, perkville_token):
    response = post_in(client, perkville, check_in(1, event="E" * 115), perkville_token)  # "track:" + 115 = 121

    assert refused(response) == [("event", "At most 114 characters (115 sent).")]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ("just text", [("", "Must be a Segment message (a JSON object).")]),
        ({"batch": ["a", "b"]}, [
            ("batch[0]", "Must be a Segment message (a JSON object)."),
            ("batch[1]", "Must be a Segment message (a JSON object)."),
        ]),
        (check_in(1, properties="email=a@example.com"), [("properties", "Must be a JSON object.")]),
        (check_in(1, userId=42), [
            ("userId", "Either userId or anonymousId is required (non-empty text)."),
            ("userId", "Must be a string."),
        ]),
        (check_in(1, timestamp="yesterday"), [
            ("timestamp", "Must be an ISO-8601 date-time, e.g. 2024-03-01T12:00:00Z.")
        ]),
    ],
)
def test_values_of_the_wrong_type_are_400_naming_the_field(client, perkville, perkville_token, body, errors):
    response = post_in(client, perkville, body, perkville_token)

    assert refused(response) == errors


def test_a_long_idempotency_key_keeps_its_start_and_ends_with_its_hash():
    from events.intake.receive import idempotency_key_fit

    key_a, key_b = "perkville:" + "x" * 300 + "a", "perkville:" + "x" * 300 + "b"

    fitted_a, fitted_b = idempotency_key_fit(key_a), idempotency_key_fit(key_b)

    # 200 = 128 characters of the key + "#sha256:" (8) + 64 hex digits.
    assert len(fitted_a) == len(fitted_b) == 200
    assert fitted_a == key_a[:128] + "#sha256:" + hashlib.sha256(key_a.encode()).hexdigest()
    assert fitted_a != fitted_b
    assert idempotency_key_fit("perkville:short") == "perkville:short"


def test_an_unsigned_voucherify_webhook_is_refused_before_its_body_is_parsed(client, monkeypatch):
    connector = ConnectorFactory(
        kind="voucherify_segment",
        settings={"voucherify_api_url": "https://api.voucherify.example", "voucherify_app_id": "a"},
        secrets={"voucherify_webhook_secret": "whsec", "segment_write_key": "w", "voucherify_app_token": "t"},
    )

    def never(**kwargs):
        raise AssertionError("an unsigned body was parsed")

    monkeypatch.setattr("events.views.webhook_body_parse", never)

    response = client.post(
        f"/out/segment/{connector.public_id}", data=b"[" * 100_000, content_type="application/json",
        HTTP_X_VOUCHERIFY_SIGNATURE="0" * 64,
    )

    assert response.status_code == 401
    assert not Event.objects.exists()
