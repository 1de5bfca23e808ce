"""What is sent to Sentry: no credential, no customer data, whatever the event holds."""

import sentry_sdk

from config import sentry
from config.sentry import FILTERED, sentry_event_scrub
from connectors.kinds.registry import kinds


def test_the_scrubber_filters_credentials_and_drops_bodies_and_cookies():
    event = {
        "request": {
            "method": "POST",
            "url": "https://hub.example.com/out/segment/6b7c",
            "headers": {
                "Content-Type": "application/json",
                "X-Auth-Token": "eec_out_live-token",
                "Authorization": "Basic c2VjcmV0",
                "x-voucherify-signature": "5f0c…",
                "Cookie": "sessionid=abc",
            },
            "cookies": {"sessionid": "abc"},
            "data": {"customer": {"email": "ann@example.com"}},
            "query_string": "token=abc",
        },
        "extra": {"config": {"settings": {"currency": "GBP"}, "secrets": {"segment_write_key": "wk"}}},
        "exception": {"values": [{"stacktrace": {"frames": [
            {"function": "send", "vars": {"segment_write_key": "wk", "api_key": "k", "attempt": 2}},
        ]}}]},
        "breadcrumbs": {"values": [
            {"category": "httplib", "data": {"url": "https://www.example.com/?nid=1&verification_token=v"}},
        ]},
    }

    scrubbed = sentry_event_scrub(event, {})

    assert scrubbed == {
        "request": {
            "method": "POST",
            "url": "https://hub.example.com/out/segment/6b7c",
            "headers": {
                "Content-Type": "application/json",
                "X-Auth-Token": FILTERED,
                "Authorization": FILTERED,
                "x-voucherify-signature": FILTERED,
                "Cookie": FILTERED,
            },
            "query_string": FILTERED,
        },
        "extra": {"config": {"settings": {"currency": "GBP"}, "secrets": FILTERED}},
        "exception": {"values": [{"stacktrace": {"frames": [
            {"function": "send", "vars": {"segment_write_key": FILTERED, "api_key": FILTERED, "attempt": 2}},
        ]}}]},
        "breadcrumbs": {"values": [
            {"category": "httplib", "data": {"url": "https://www.example.com/"}},
        ]},
    }


def test_every_connector_kinds_secret_field_is_filtered_by_its_name():
    names = [field.key for kind in kinds().values() for field in kind.secret_fields]

    scrubbed = sentry_event_scrub({"extra": dict.fromkeys(names, "s3cret")})

    assert names  # every kind has at least one secret
    assert scrubbed == {"extra": dict.fromkeys(names, FILTERED)}


def test_sentry_starts_without_personal_data_locals_or_bodies_and_with_the_scrubber(monkeypatch):
    started = {}
    monkeypatch.setattr("sentry_sdk.init", lambda **options: started.update(options))

    sentry.sentry_init(dsn="https://key@sentry.example.com/1", environment="staging", release="0.1.0")

    assert started["dsn"] == "https://key@sentry.example.com/1"
    assert started["environment"] == "staging"
    assert started["release"] == "ee-connect@0.1.0"
    assert started["send_default_pii"] is False
    assert started["include_local_variables"] is False
    assert started["max_request_body_size"] == "never"
    assert started["before_send"] is sentry_event_scrub
    assert started["traces_sample_rate"] == 0.0


def test_sentry_is_off_without_a_dsn():
    assert sentry_sdk.get_client().is_active() is False
