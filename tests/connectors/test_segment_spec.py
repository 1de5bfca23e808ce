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
