"""Sandbox Segment HTTP Tracking API, mounted at ``/sandbox/segment``.

Follows Segment's HTTP Tracking API documentation (segment-docs,
``src/connections/sources/catalog/libraries/server/http-api/index.md``: Authentication, Batch, Max
request size, Errors) and the Segment Spec (``src/connections/spec/common.md``, ``track.md``,
``group.md``, ``alias.md``), as summarised with their sources in spec/segment-air.md §2, §3.

As Segment answers:

- ``POST /v1/batch`` and ``POST /v1/{identify,track,page,screen,group,alias}`` (one message, whose
  type is the path's). Any other path under the mount → 404; another method → 405 with
  ``Allow: POST``. (Segment does not document these two answers' bodies; the sandbox uses its
  ``{"code", "message"}`` shape.)
- The write key from HTTP Basic (user name = write key, empty password) or the body's ``writeKey``.
- 400 for a body that is not a JSON object, a single call over 32 KB, a batch over 500 KB, or a
  message of a batch over 32 KB as compact JSON. Errors carry ``{"code", "message"}``, as Segment's
  libraries read them (analytics-python ``request.py``).
- Lenient about keys: a message may carry keys the Spec does not name (``sentAt``, ``_metadata``,
  its own); they are kept, never refused. So a misspelled *optional* key is only an extra key: a
  ``messageID`` leaves the message without a ``messageId``, and it is kept under a generated one,
  as Segment generates one (``src/guides/duplicate-data.md``) — de-duplication then cannot see it.
- Success is 200 ``{"success": true}``; each message is kept once per ``messageId``, a repeat only
  counted (Segment's dedupe, ``duplicate-data.md``).

Where Segment answers 200 yet drops the message, which only its Debugger then shows (http-api
Errors: no userId/anonymousId, a track without ``event``, a ``messageId`` of 100 characters or more,
more than 2,500 messages in a batch; an unknown write key, analytics-go#205 and analytics-node#59),
or where its documents do not say what it does, the sandbox refuses the whole request instead, so
that a connector's mistake fails a test rather than vanish:

- no write key, or not the sandbox's (``credentials.SEGMENT_WRITE_KEY``) → 401 ``unauthorized``
  (Segment: 400 for an empty key, 200 for an unknown one);
- a message without a type of the Spec, without ``userId``/``anonymousId`` (``no_user_anon_id``,
  Segment's own code), a track without ``event``, a group without ``groupId``, an alias without
  ``previousId``, a ``messageId`` of 100 characters or more, more than 2,500 messages → 400;
- a field the Spec types, of another type → 400 naming it: ``userId``/``anonymousId``/``groupId``/
  ``previousId`` text or a number; ``event``, ``name``, ``messageId`` text; ``properties``,
  ``traits``, ``context``, ``integrations`` objects; ``timestamp``, ``originalTimestamp``,
  ``sentAt`` ISO-8601 date-times; a batch's shared ``context`` or ``integrations`` not an object;
- a ``Content-Type`` other than ``application/json``, which the docs require (Headers) → 400.
"""

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db.models import Model
from django.urls import path, re_path

from connectors.sandbox import views
from connectors.sandbox.credentials import SEGMENT_WRITE_KEY
from connectors.sandbox.models import SandboxSegmentMessage
from connectors.sandbox.services import Call, Reply
from connectors.sandbox.upstreams import SandboxUpstream
from core.bulk import bulk_insert_counting

NAME = "segment"

MAX_MESSAGE_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
MAX_BATCH_MESSAGES = 2500
MAX_MESSAGE_ID_CHARS = 99
MESSAGE_TYPES = ("identify", "track", "page", "screen", "group", "alias")
# Every method a client could send: the endpoints answer the wrong ones themselves (405), recorded.
ANY_METHOD = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_MERGED_BATCH_KEYS = ("context", "integrations")
_ID_FIELDS = ("userId", "anonymousId", "groupId", "previousId")
_TEXT_FIELDS = ("event", "name", "messageId")
_OBJECT_FIELDS = ("properties", "traits", "context", "integrations")
_TIME_FIELDS = ("timestamp", "originalTimestamp", "sentAt")
# What the Spec requires of each type beyond a user (group.md: groupId; alias.md: previousId).
_REQUIRED_BY_TYPE = {"track": "event", "group": "groupId", "alias": "previousId"}


class SegmentRefused(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.reply = Reply(status=status, body={"code": code, "message": message}, headers=headers or {})


def _basic_user(authorization: str) -> str:
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return decoded.partition(":")[0]


def _authenticate(call: Call, payload: dict[str, Any]) -> None:
    body_key = payload.get("writeKey")
    presented = [key for key in (_basic_user(call.header("Authorization")), body_key) if key]
    if not presented:
        raise SegmentRefused(
            401, "unauthorized", "No write key: send HTTP Basic auth or writeKey in the body."
        )
    if SEGMENT_WRITE_KEY not in presented:
        raise SegmentRefused(401, "unauthorized", "Invalid write key.")


def _post_only(call: Call) -> None:
    if call.method != "POST":
        raise SegmentRefused(
            405, "method_not_allowed", f"{call.method} is not allowed here; use POST.", headers={"Allow": "POST"}
        )


def _parse(call: Call, *, limit: int) -> dict[str, Any]:
    _post_only(call)
    media_type = call.header("Content-Type").partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise SegmentRefused(400, "invalid_content_type", "The Content-Type header must be application/json.")
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


def _is_time(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_id(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)


def _type_error(message: dict[str, Any], prefix: str) -> str:
    """The first field of the message whose type is not the Spec's, said as a refusal; "" if none.
    ``prefix``: where the message is in the body ("batch[3]"; "" for a single call's body)."""
    checks = (
        (_ID_FIELDS, _is_id, "text or a number"),
        (_TEXT_FIELDS, lambda value: isinstance(value, str), "text"),
        (_OBJECT_FIELDS, lambda value: isinstance(value, dict), "a JSON object"),
        (_TIME_FIELDS, _is_time, "an ISO-8601 date-time"),
    )
    for names, valid, expected in checks:
        for name in names:
            if message.get(name) is not None and not valid(message[name]):
                field = f"{prefix}.{name}" if prefix else name
                return f"{field} must be {expected}."
    return ""


def _checked(message: Any, *, where: str, prefix: str) -> dict[str, Any]:
    """The message, if Segment would keep it; ``where`` names it in a refusal, ``prefix`` is its
    place in the body for the paths of its fields."""
    if not isinstance(message, dict):
        raise SegmentRefused(400, "invalid_message", f"{where} is not a JSON object.")
    size = len(json.dumps(message, separators=(",", ":")).encode())
    if size > MAX_MESSAGE_BYTES:
        raise SegmentRefused(
            400, "message_too_large", f"{where} is {size} bytes; the limit is {MAX_MESSAGE_BYTES}."
        )
    kind = message.get("type")
    if kind not in MESSAGE_TYPES:
        raise SegmentRefused(
            400, "invalid_message", f"{where} needs a type, one of {', '.join(MESSAGE_TYPES)}."
        )
    wrong_type = _type_error(message, prefix)
    if wrong_type:
        raise SegmentRefused(400, "invalid_message", wrong_type)
    if message.get("userId") in (None, "") and message.get("anonymousId") in (None, ""):
        raise SegmentRefused(400, "no_user_anon_id", f"{where} needs a userId or an anonymousId.")
    required = _REQUIRED_BY_TYPE.get(kind)
    if required and message.get(required) in (None, ""):
        article = "an" if kind == "alias" else "a"
        raise SegmentRefused(400, "invalid_message", f"{where} is {article} {kind} call without {required}.")
    if len(message.get("messageId") or "") > MAX_MESSAGE_ID_CHARS:
        raise SegmentRefused(400, "invalid_message", f"{where} has a messageId of 100 characters or more.")
    return message


def _batch_messages(payload: dict[str, Any]) -> list[dict[str, Any]]:
    items = payload.get("batch")
    if not isinstance(items, list) or not items:
        raise SegmentRefused(400, "invalid_message", "A batch needs a non-empty 'batch' list.")
    if len(items) > MAX_BATCH_MESSAGES:
        raise SegmentRefused(
            400, "too_many_messages", f"The batch has {len(items)} messages; the limit is {MAX_BATCH_MESSAGES}."
        )
    shared = {}
    for key in _MERGED_BATCH_KEYS:
        if payload.get(key) is not None and not isinstance(payload[key], dict):
            raise SegmentRefused(400, "invalid_message", f"The batch's {key} must be a JSON object.")
        if payload.get(key):
            shared[key] = payload[key]
    messages = []
    for index, item in enumerate(items):
        message = _checked(item, where=f"batch[{index}]", prefix=f"batch[{index}]")
        for key, value in shared.items():
            own = message.get(key)
            message[key] = {**value, **own} if isinstance(own, dict) else value
        messages.append(message)
    return messages


def _store(messages: list[dict[str, Any]]) -> None:
    """Keep each message once per messageId, as Segment's dedupe does, counting the repeats (earlier
    ones, and within this batch: the first of them is the one kept), in one round trip."""
    seen: dict[str, int] = {}
    first: dict[str, dict[str, Any]] = {}
    for message in messages:
        if not message.get("messageId"):
            message["messageId"] = str(uuid.uuid4())
        message_id = message["messageId"]
        seen[message_id] = seen.get(message_id, 0) + 1
        first.setdefault(message_id, message)
    rows: list[Model] = [  # bulk_insert_counting takes a list of any model's rows
        SandboxSegmentMessage(
            upstream=NAME,
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


def segment_single(message_type: str) -> Callable[[Call], Reply]:
    """The handler for ``/v1/<message_type>``: the body is one message of that type."""

    def handle(call: Call) -> Reply:
        try:
            payload = _parse(call, limit=MAX_MESSAGE_BYTES)
            _authenticate(call, payload)
            message = _checked({**payload, "type": message_type}, where="The message", prefix="")
        except SegmentRefused as refused:
            return refused.reply
        message.pop("writeKey", None)
        _store([message])
        return Reply(status=200, body={"success": True})

    handle.__name__ = f"segment_{message_type}"
    return handle


def segment_unknown_path(call: Call) -> Reply:
    path_only = call.path.partition("?")[0]
    return Reply(status=404, body={"code": "not_found", "message": f"No endpoint at {path_only}."})


urls = [
    path(
        "segment/v1/batch",
        views.upstream_endpoint(upstream=NAME, handle=segment_batch, methods=ANY_METHOD),
        name="sandbox-segment-batch",
    ),
    *(
        path(
            f"segment/v1/{message_type}",
            views.upstream_endpoint(
                upstream=NAME, handle=segment_single(message_type), methods=ANY_METHOD
            ),
            name=f"sandbox-segment-{message_type}",
        )
        for message_type in MESSAGE_TYPES
    ),
    # Last: whatever else is asked of Segment's host (its received/behaviour pages come before).
    re_path(
        r"^segment/",
        views.upstream_endpoint(upstream=NAME, handle=segment_unknown_path, methods=ANY_METHOD),
        name="sandbox-segment-unknown",
    ),
]

UPSTREAM = SandboxUpstream(
    name=NAME,
    label="Segment HTTP Tracking API",
    credentials={"write_key": SEGMENT_WRITE_KEY},
    urls=urls,
    keeps_messages=True,
)
