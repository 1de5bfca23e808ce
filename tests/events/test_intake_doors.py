"""One write path: nothing in the product makes an event or a delivery but the intake service
(``events/intake``), so validation, dedupe, translation, rewards and hints cannot differ between
a webhook, a test event and a replay. What each door shares is specified with the door (webhooks,
test events, replays); here, the rule itself and what a replay shares with the webhook."""

import ast
import copy
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from events.console.actions import event_replay
from events.intake.receive import events_receive
from events.models import Delivery, Event
from tests.connectors.factories import ConnectorFactory

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("api", "config", "connectors", "core", "demo", "events", "rewards")
# Synthetic rows that fill the log to measure the console at production volume, outside any flow.
OUTSIDE_ANY_FLOW = {"demo/management/commands/log_seed.py"}
MODELS = {"Event", "Delivery"}
WRITES = {"create", "bulk_create", "get_or_create", "update_or_create"}


def _writes(tree: ast.AST) -> Iterator[str]:
    """``Event(...)``, ``Delivery(...)`` and ``Event.objects.create(...)`` and the like, by line."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in MODELS:
            yield f"{node.lineno}: {func.id}(...)"
        elif (
            isinstance(func, ast.Attribute)
            and func.attr in WRITES
            and isinstance(func.value, ast.Attribute)
            and func.value.attr == "objects"
            and isinstance(func.value.value, ast.Name)
            and func.value.value.id in MODELS
        ):
            yield f"{node.lineno}: {func.value.value.id}.objects.{func.attr}(...)"


def test_only_intake_makes_events_and_deliveries():
    found: dict[str, list[str]] = {}
    for folder in PRODUCT:
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name.startswith("events/intake/") or "/migrations/" in name:
                continue
            writes = list(_writes(ast.parse(path.read_text(), name)))
            if writes:
                found[name] = writes

    # The seeding command is found, so the scan sees what it looks for; nothing else is.
    assert set(found) == OUTSIDE_ANY_FLOW, found


@pytest.mark.django_db
def test_a_replays_deliveries_are_hinted_once_committed_as_a_webhooks_are(hints, django_capture_on_commit_callbacks):
    connector = ConnectorFactory()
    notification = copy.deepcopy(kind_get("air_segment").samples[Direction.OUT]["SERVICE.WALLET.ACCOUNTS.CREATE"])
    [received] = events_receive(connector=connector, direction="out", payload=notification)
    hints.clear()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        [replayed] = event_replay(event=received.event)
        assert hints == []  # not before the commit: a worker must find the row

    for callback in callbacks:
        callback()
    assert hints == [("events.deliveries_attempt", [[replayed.pk]])]


@pytest.mark.django_db
def test_a_replayed_trigger_is_sent_again_whatever_the_repeat_window(hints):
    """A replay is a deliberate repeat: the window that counts a sender's repeats once does not
    apply to it (AIR dedupes the request by the reference it keeps)."""
    connector = ConnectorFactory()
    connector.settings = {**connector.settings, "trigger_dedupe_window_seconds": 3600}
    connector.save()
    trigger = copy.deepcopy(kind_get("air_segment").samples[Direction.IN]["services/trigger"])
    [received] = events_receive(connector=connector, direction="in", payload=trigger)

    [replayed] = event_replay(event=received.event)

    assert replayed.status == Delivery.Status.PENDING
    assert Event.objects.get(pk=received.event.pk).status == Event.Status.TRANSLATED
