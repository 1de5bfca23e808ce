"""Sandbox Segment HTTP Tracking API (spec/segment-air.md §2), mounted at ``/sandbox/segment``.

``POST /v1/batch`` and the single calls ``/v1/{identify,track,page,screen,group,alias}``.

- The write key is taken from HTTP Basic (user name = write key, empty password) or from the
  body's ``writeKey``; either one matching ``credentials.SEGMENT_WRITE_KEY`` is enough, else 401.
- 32 KB per message (a single call's whole body, or each item of a batch as compact JSON) and
  500 KB per batch body, over → 400; a body that is not JSON → 400. Errors carry
  ``{"code", "message"}`` as Segment's libraries expect.
- Stricter than Segment, so that a connector's mistakes show up in tests instead of being dropped
  silently: a message without ``type``, without ``userId``/``anonymousId``, a track without
  ``event`` or a ``messageId`` of 100 characters or more rejects the whole request with 400.
- Accepted messages are kept once per ``messageId`` (a repeat only counts a duplicate); a message
  without one gets a generated id, as the real API does. Success is 200 ``{"success": true}``.
"""

import base64
import binascii
import json
import uuid
from typing import Any

from connectors.bulk import bulk_insert_counting
from connectors.sandbox.credentials import SEGMENT_WRITE_KEY
from connectors.sandbox.models import SandboxSegmentMessage, Upstream
from connectors.sandbox.services import Call, Reply

MAX_MESSAGE_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
MAX_MESSAGE_ID_CHARS = 99
MESSAGE_TYPES = ("identify", "track", "page", "screen", "group", "alias")
_MERGED_BATCH_KEYS = ("context", "integrations")


class SegmentRefused(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.reply = Reply(status=status, body={"code": code, "message": message})


def _basic_user(authorization: str) -> str:
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return decoded.partition(":")[0]


def _authenticate(call: Call, payload: dict) -> None:
    presented = [key for key in (_basic_user(call.header("Authorization")), payload.get("writeKey")) if key]
    if not presented:
        raise SegmentRefused(
            401, "unauthorized", "No write key: send HTTP Basic auth or writeKey in the body."
        )
    if SEGMENT_WRITE_KEY not in presented:
        raise SegmentRefused(401, "unauthorized", "Invalid write key.")


def _parse(call: Call, *, limit: int) -> dict:
    if len(call.body) > limit:
        raise SegmentRefused(
            400, "request_too_large", f"The request is {len(call.body)} bytes; the limit is {limit}."
        )
    try:
        payload = call.json()
    except ValueError:
        raise SegmentRefused(400, "invalid_json", "The body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise SegmentRefused(400, "invalid_json", "The body must be a JSON object.")
    return payload


def _checked(message: Any, *, where: str) -> dict:
    if not isinstance(message, dict):
        raise SegmentRefused(400, "invalid_message", f"{where} is not a JSON object.")
    size = len(json.dumps(message, separators=(",", ":")).encode())
    if size > MAX_MESSAGE_BYTES:
        raise SegmentRefused(
            400, "message_too_large", f"{where} is {size} bytes; the limit is {MAX_MESSAGE_BYTES}."
        )
    if message.get("type") not in MESSAGE_TYPES:
        raise SegmentRefused(
            400, "invalid_message", f"{where} needs a type, one of {', '.join(MESSAGE_TYPES)}."
        )
    if not (message.get("userId") or message.get("anonymousId")):
        raise SegmentRefused(400, "no_user_anon_id", f"{where} needs a userId or an anonymousId.")
    if message["type"] == "track" and not message.get("event"):
        raise SegmentRefused(400, "invalid_message", f"{where} is a track call without an event name.")
    if len(str(message.get("messageId", ""))) > MAX_MESSAGE_ID_CHARS:
        raise SegmentRefused(400, "invalid_message", f"{where} has a messageId of 100 characters or more.")
    return message


def _batch_messages(payload: dict) -> list[dict]:
    items = payload.get("batch")
    if not isinstance(items, list) or not items:
        raise SegmentRefused(400, "invalid_message", "A batch needs a non-empty 'batch' list.")
    shared = {key: payload[key] for key in _MERGED_BATCH_KEYS if isinstance(payload.get(key), dict)}
    messages = []
    for index, item in enumerate(items):
        message = _checked(item, where=f"batch[{index}]")
        for key, value in shared.items():
            own = message.get(key)
            message[key] = {**value, **own} if isinstance(own, dict) else value
        messages.append(message)
    return messages


def _store(messages: list[dict]) -> None:
    """Keep each message once per messageId, as Segment's dedupe does, counting the repeats (earlier
    ones, and within this batch: the first of them is the one kept), in one round trip."""
    seen: dict[str, int] = {}
    first: dict[str, dict] = {}
    for message in messages:
        message_id = str(message.setdefault("messageId", str(uuid.uuid4())))
        seen[message_id] = seen.get(message_id, 0) + 1
        first.setdefault(message_id, message)
    rows = [
        SandboxSegmentMessage(
            upstream=Upstream.SEGMENT,
            message_id=message_id,
            type=message["type"],
            event=str(message.get("event") or "")[:200],
            user_id=str(message.get("userId") or "")[:200],
            message=message,
            duplicate_count=seen[message_id] - 1,
        )
        for message_id, message in first.items()
    ]
    bulk_insert_counting(SandboxSegmentMessage, rows, unique=("upstream", "message_id"), count="duplicate_count")


def segment_batch(call: Call) -> Reply:
    try:
        payload = _parse(call, limit=MAX_BATCH_BYTES)
        _authenticate(call, payload)
        messages = _batch_messages(payload)
    except SegmentRefused as refused:
        return refused.reply
    _store(messages)
    return Reply(status=200, body={"success": True})


def segment_single(message_type: str):
    """The handler for ``/v1/<message_type>``: the body is one message of that type."""

    def handle(call: Call) -> Reply:
        try:
            payload = _parse(call, limit=MAX_MESSAGE_BYTES)
            _authenticate(call, payload)
            message = _checked({**payload, "type": message_type}, where="The message")
        except SegmentRefused as refused:
            return refused.reply
        message.pop("writeKey", None)
        _store([message])
        return Reply(status=200, body={"success": True})

    handle.__name__ = f"segment_{message_type}"
    return handle
