"""One Direction for the platform, and every direction read from the database is one of its members."""

import pytest
from django.core.exceptions import ValidationError

from connectors.kinds import base
from connectors.models import AuthToken
from connectors.tokens import token_issue
from core.direction import Direction, DirectionField
from events import models as event_models
from events.models import Event
from tests.connectors.factories import ConnectorFactory
from tests.events.factories import EventFactory

pytestmark = pytest.mark.django_db


def test_kinds_the_delivery_log_and_tokens_share_one_direction():
    assert base.Direction is Direction
    assert event_models.Direction is Direction
    assert Direction("in") is Direction.IN


def test_an_event_read_back_from_the_database_has_a_direction_member():
    stored = EventFactory(direction="in")

    event = Event.objects.get(pk=stored.pk)

    # Kinds compare by identity (``direction is Direction.IN``): a plain "in" would fail them.
    assert event.direction is Direction.IN
    assert Event.objects.values_list("direction", flat=True).get(pk=stored.pk) is Direction.IN
    assert Event.objects.values("direction").get(pk=stored.pk)["direction"] is Direction.IN


def test_a_direction_given_as_text_is_held_as_a_member_before_it_is_saved():
    event = Event(direction="out")

    assert event.direction is Direction.OUT
    event.direction = "in"
    assert event.direction is Direction.IN


def test_a_token_read_back_has_a_direction_member_and_keeps_its_own_labels():
    issued = token_issue(connector=ConnectorFactory(), direction="out")

    token = AuthToken.objects.get(pk=issued.token.pk)

    assert token.direction is Direction.OUT
    assert token.get_direction_display() == "Outbound (loyalty engine → platform)"
    assert Event(direction="out").get_direction_display() == "Out (engine → CDP)"


def test_an_unknown_direction_is_refused_by_validation_not_by_a_crash():
    event = EventFactory.build(connector=ConnectorFactory(), direction="sideways")

    assert event.direction == "sideways"
    with pytest.raises(ValidationError) as refused:
        event.full_clean()
    assert list(refused.value.message_dict) == ["direction"]


def test_migrations_see_a_plain_char_field():
    # The column is a CharField's, so adopting the field needs no migration and old ones stay as they are.
    name, path, args, kwargs = DirectionField(name="direction").deconstruct()

    assert (name, path, args) == ("direction", "django.db.models.CharField", [])
    assert kwargs == {"max_length": 3, "choices": [("in", "In (CDP → engine)"), ("out", "Out (engine → CDP)")]}
