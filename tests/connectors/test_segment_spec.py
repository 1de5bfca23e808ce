import pytest

from connectors.kinds.base import FieldError, PartlyInvalid, PayloadInvalid, RefusedPart
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


def test_a_batch_with_a_bad_message_beside_good_ones_gives_the_good_ones_and_the_bad_one_apart():
    good, other = _track(messageId="m-0"), _track(messageId="m-2")
    bad = {"type": "track", "event": "Order Completed", "userID": "u-1"}  # userId misspelled

    with pytest.raises(PartlyInvalid) as partly:
        segment_events_parse({"batch": [good, bad, other], "context": {"locale": "en-GB"}})

    assert [(index, event.source_event_id) for index, event in partly.value.accepted] == [(0, "m-0"), (2, "m-2")]
    [refused] = partly.value.refused
    assert refused == RefusedPart(
        index=1,
        raw={**bad, "context": {"locale": "en-GB"}},
        errors=(FieldError("batch[1].userId", "Either userId or anonymousId is required (non-empty text)."),),
        event_type="track:Order Completed",
        identity="",
    )
    assert partly.value.errors == list(refused.errors)


def test_a_batch_of_bad_messages_only_is_refused_whole_naming_each():
    with pytest.raises(PayloadInvalid) as refused:
        segment_events_parse({"batch": [_track(userId=""), _track(event=3)]})

    assert type(refused.value) is PayloadInvalid
    assert refused.value.errors == [
        FieldError("batch[0].userId", "Either userId or anonymousId is required (non-empty text)."),
        FieldError("batch[1].event", "A track call needs an event name."),
    ]


def test_a_single_bad_message_is_refused_whole():
    with pytest.raises(PayloadInvalid) as refused:
        segment_events_parse(_track(userId=7))

    assert type(refused.value) is PayloadInvalid
    assert [error.path for error in refused.value.errors] == ["userId", "userId"]


def test_a_refused_message_is_labelled_by_what_can_be_read_of_it_cut_to_the_columns():
    # Its event name (300) and user id (250) are over what the platform keeps: refused, and
    # labelled with the first 120 and 200 characters so support can still find it.
    long_one = _track(event="E" * 300, userId="u" * 250)

    with pytest.raises(PartlyInvalid) as partly:
        segment_events_parse({"batch": [_track(), long_one, "not a message"]})

    first, second = partly.value.refused
    assert (first.index, first.event_type, first.identity) == (1, "track:" + "E" * 114, "u" * 200)
    assert (second.index, second.event_type, second.identity) == (2, "", "")
    assert second.errors == (FieldError("batch[2]", "Must be a Segment message (a JSON object)."),)
