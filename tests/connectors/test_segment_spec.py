import pytest

from connectors.kinds.base import FieldError, PayloadInvalid
from connectors.kinds.segment_spec import segment_events_parse, segment_messages_parse


def _track(**changes):
    return {"type": "track", "event": "Order Completed", "userId": "u-1", **changes}


def test_a_batch_top_level_context_and_integrations_apply_to_every_message():
    batch = {
        "batch": [_track(context={"ip": "203.0.113.7", "traits": {"email": "own@example.com"}}), _track()],
        "context": {"traits": {"email": "shared@example.com"}, "locale": "en-GB"},
        "integrations": {"All": False, "Perkville": True},
    }

    first, second = segment_events_parse(batch)

    assert first.raw["context"] == {"ip": "203.0.113.7", "traits": {"email": "own@example.com"}, "locale": "en-GB"}
    assert second.raw["context"] == {"traits": {"email": "shared@example.com"}, "locale": "en-GB"}
    assert first.raw["integrations"] == second.raw["integrations"] == {"All": False, "Perkville": True}
    assert (first.context["email"], second.context["email"]) == ("own@example.com", "shared@example.com")
    assert second.context["context_traits"] == {"email": "shared@example.com"}


def test_a_batch_without_shared_objects_keeps_its_messages_as_sent():
    message = _track(context={"ip": "203.0.113.7"})

    assert segment_messages_parse({"batch": [message]}) == [message]


def test_a_batch_shared_context_that_is_not_an_object_is_refused_with_the_messages_errors():
    with pytest.raises(PayloadInvalid) as refused:
        segment_messages_parse({"batch": [_track(context="x"), _track()], "context": ["not", "an", "object"]})

    assert refused.value.errors == [
        FieldError("context", "Must be a JSON object (it applies to every message of the batch)."),
        FieldError("batch[0].context", "Must be a JSON object."),
    ]


def test_a_single_message_is_kept_as_sent():
    message = _track(context={"ip": "203.0.113.7"})

    assert segment_messages_parse(message) == [message]


def test_a_timestamp_a_zone_moves_off_the_calendar_is_refused_not_an_overflow():
    # Year 1, midnight, an hour ahead of UTC: in UTC it would be year 0, which Python cannot hold.
    with pytest.raises(PayloadInvalid) as refused:
        segment_messages_parse(_track(timestamp="0001-01-01T00:00:00+01:00"))

    assert refused.value.errors == [
        FieldError("timestamp", "Must be an ISO-8601 date-time, e.g. 2024-03-01T12:00:00Z.")
    ]


def test_ids_longer_than_the_platform_keeps_are_refused_naming_each():
    with pytest.raises(PayloadInvalid) as refused:
        segment_messages_parse(_track(userId="u" * 201, anonymousId="a" * 201, messageId="m" * 200))

    assert refused.value.errors == [
        FieldError("userId", "At most 200 characters (201 sent)."),
        FieldError("anonymousId", "At most 200 characters (201 sent)."),
    ]


def test_a_track_event_name_fits_its_event_type_whole():
    [event] = segment_events_parse(_track(event="E" * 114))

    assert event.event_type == "track:" + "E" * 114  # 6 + 114 = 120 characters, the column's size


def test_a_batch_of_2500_messages_is_read_and_one_more_is_refused():
    assert len(segment_messages_parse({"batch": [_track()] * 2500})) == 2500
    with pytest.raises(PayloadInvalid) as refused:
        segment_messages_parse({"batch": [_track()] * 2501})

    assert refused.value.errors == [FieldError("batch", "At most 2500 messages in a batch (2501 sent).")]


def test_the_limits_are_the_columns_of_the_stored_event():
    from connectors.kinds import segment_spec
    from events.models import Event

    assert Event._meta.get_field("source_event_id").max_length == segment_spec.MAX_ID_CHARS
    assert Event._meta.get_field("identity").max_length == segment_spec.MAX_ID_CHARS
    assert Event._meta.get_field("event_type").max_length == segment_spec.MAX_EVENT_TYPE_CHARS
