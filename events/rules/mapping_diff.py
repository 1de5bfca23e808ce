"""What changes in the Segment messages an event sends when its connector's rules change: which
messages are added, removed or changed, and per changed message which fields.

Pure functions of the two lists of messages (no ORM), so the preview can show staff the
consequence of an edit rather than two walls of JSON to compare by eye.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Literal

Change = Literal["added", "removed", "changed", "same"]
SUMMARISED: tuple[Change, ...] = ("added", "removed", "changed")  # "same" is no change to count


@dataclass(frozen=True)
class FieldChange:
    """One field of a message, by its dotted path (``properties.total``, ``context.traits.tier``).
    ``before`` is absent for an added field and ``after`` for a removed one (``has_before`` and
    ``has_after`` say which, since ``None`` is itself a value a message can carry)."""

    path: str
    change: Change
    before: Any = None
    after: Any = None

    @property
    def has_before(self) -> bool:
        return self.change != "added"

    @property
    def has_after(self) -> bool:
        return self.change != "removed"

    @property
    def before_json(self) -> str:
        """The value as Segment receives it (JSON), so "3" and 3 read differently."""
        return json.dumps(self.before, ensure_ascii=False)

    @property
    def after_json(self) -> str:
        return json.dumps(self.after, ensure_ascii=False)


@dataclass(frozen=True)
class MessageChange:
    """A message of either side; the fields of an added or removed one are all added or removed."""

    change: Change
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    fields: tuple[FieldChange, ...] = ()

    @property
    def label(self) -> str:
        """How Segment's debugger names the message: its type, and the event of a track call."""
        message = self.after if self.after is not None else self.before or {}
        name = message.get("event")
        return f"{message.get('type')} “{name}”" if name else str(message.get("type"))


@dataclass(frozen=True)
class MessagesDiff:
    messages: tuple[MessageChange, ...]

    def count(self, change: Change) -> int:
        return sum(1 for message in self.messages if message.change == change)

    @property
    def changed(self) -> bool:
        return any(message.change != "same" for message in self.messages)

    @property
    def summary(self) -> str:
        parts = [
            f"{self.count(change)} {change}"
            for change in SUMMARISED
            if self.count(change)
        ]
        return ", ".join(parts) if parts else "No message changes."


def segment_messages(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages in request bodies as sent to Segment: a ``/v1/batch`` body's ``batch``, or the
    body itself for a single call."""
    messages: list[dict[str, Any]] = []
    for body in bodies:
        batch = body.get("batch") if isinstance(body, dict) else None
        messages.extend(batch if isinstance(batch, list) else [body])
    return messages


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    # Lists stay whole: a list property is one value to Segment, and element-by-element paths
    # would report a shifted list as every element changed.
    if isinstance(value, dict) and (value or not prefix):
        for key, inner in value.items():
            yield from _flatten(inner, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, value


def message_fields_diff(*, before: dict[str, Any], after: dict[str, Any]) -> tuple[FieldChange, ...]:
    """The fields that differ between two messages, in the order the fields appear."""
    old, new = dict(_flatten(before)), dict(_flatten(after))
    changes = []
    for path, value in new.items():
        if path not in old:
            changes.append(FieldChange(path, "added", after=value))
        elif old[path] != value:
            changes.append(FieldChange(path, "changed", before=old[path], after=value))
    changes.extend(FieldChange(path, "removed", before=value) for path, value in old.items() if path not in new)
    return tuple(changes)


def _paired(before: dict[str, Any], after: dict[str, Any]) -> MessageChange:
    fields = message_fields_diff(before=before, after=after)
    return MessageChange("changed" if fields else "same", before, after, fields)


def _key(message: dict[str, Any]) -> tuple[str, str]:
    return str(message.get("type")), str(message.get("event") or "")


def messages_diff(*, before: list[dict[str, Any]], after: list[dict[str, Any]]) -> MessagesDiff:
    """Pair the messages of the current rules with those of the edited ones and compare each pair.

    Messages of the same type and event name pair in order; where the runs differ, the messages in
    the same place pair up (a renamed event is the same message, changed), and what is left over
    was added or removed.
    """
    matcher = SequenceMatcher(a=[_key(m) for m in before], b=[_key(m) for m in after], autojunk=False)
    result: list[MessageChange] = []
    for _tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old, new = before[i1:i2], after[j1:j2]
        result.extend(_paired(a, b) for a, b in zip(old, new, strict=False))
        result.extend(
            MessageChange("removed", message, None, message_fields_diff(before=message, after={}))
            for message in old[len(new) :]
        )
        result.extend(
            MessageChange("added", None, message, message_fields_diff(before={}, after=message))
            for message in new[len(old) :]
        )
    return MessagesDiff(tuple(result))
