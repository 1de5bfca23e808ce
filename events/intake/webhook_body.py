"""A webhook body as the platform accepts it: UTF-8 JSON that PostgreSQL can store as it came.

Refused before anything is stored, each with what was wrong and, where there is one, its path:

- 415: a body in UTF-16 or UTF-32 (JSON on the wire is UTF-8, RFC 8259 §8.1), or a Content-Type
  charset other than UTF-8;
- 413: a body over ``WEBHOOK_MAX_BODY_BYTES`` (the webhook view refuses it before reading it
  whole; a test event sent from the admin is bounded here), or a Segment batch over Segment's 500 KB;
- 400: bytes that are not UTF-8 or not JSON; nesting deeper than ``MAX_DEPTH`` levels (counted on
  the bytes before parsing, so no parser recurses that deep); ``NaN``, ``Infinity`` and
  ``-Infinity``; numbers a double cannot hold (``1e400``; ``1e-400``, which would read as 0) or
  integers with more digits than Python reads (4,300); and in any string or key the escape
  ``\\u0000`` or a UTF-16 surrogate without its pair (``\\ud800``), which PostgreSQL's jsonb and
  text cannot hold.

A UTF-8 byte order mark at the start is ignored, as RFC 8259 lets a parser do; the body is stored
without it.

The hot path is the standard parser plus a few scans in C over the bytes; the parsed value is walked,
to name the paths, only when the parser or a scan met something to refuse. (A faster parser such as
orjson would turn integers past 64 bits into floats without a word, so an id sent as a long number
would silently change.)
"""

import codecs
import json
import math
import re
import sys
from array import array
from itertools import accumulate
from typing import Any, NoReturn

from django.conf import settings

from connectors.kinds.base import FieldError
from connectors.kinds.segment import MAX_BATCH_BYTES

MAX_DEPTH = 64
_ERRORS_LISTED = 20
_UTF8_NAMES = ("utf-8", "utf8")
_NOT_STRUCTURE = bytes(sorted(set(range(256)) - set(b'"[]{}')))
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # read as signed bytes: +1 opens, -1 closes
# An escape that may stand for NUL or a lone surrogate (a false alarm, such as an escaped backslash
# before it or a surrogate with its pair, only costs the walk).
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


class BodyRefused(Exception):
    """The body cannot be read as the platform's JSON; answered ``status`` with the errors."""

    def __init__(self, status: int, message: str, errors: list[FieldError] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []


class _Unreadable:
    """Stands in the parsed value for a number that cannot be kept, so the walk can name its path."""

    def __init__(self, reason: str):
        self.reason = reason


def _too_deep(body: bytes) -> bool:
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:  # the usual case: too few to nest that deep
        return False
    # Escaped backslashes and quotes removed, the quotes and brackets left, every other part between
    # two quotes is outside the strings.
    if b"\\" in body:
        body = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    brackets = b"".join(body.translate(None, _NOT_STRUCTURE).split(b'"')[::2])
    return max(accumulate(array("b", brackets.translate(_STEPS))), default=0) > MAX_DEPTH


def _text_problem(text: str) -> str:
    if "\x00" in text:
        return "holds \\u0000, which cannot be stored"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "holds a UTF-16 surrogate escape (\\ud800 to \\udfff) without its pair"
    return ""


def _walk_errors(value: Any) -> list[FieldError]:
    """Every unreadable number and unstorable string or key, by path, in document order."""
    errors: list[FieldError] = []
    stack: list[tuple[str, Any]] = [("", value)]
    while stack and len(errors) < _ERRORS_LISTED:
        path, item = stack.pop()
        if isinstance(item, dict):
            children = []
            for key, child in item.items():
                child_path = f"{path}.{key}" if path else key
                problem = _text_problem(key)
                if problem:
                    errors.append(FieldError(child_path, f"The key {problem}."))
                children.append((child_path, child))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend(reversed([(f"{path}[{index}]", child) for index, child in enumerate(item)]))
        elif isinstance(item, _Unreadable):
            errors.append(FieldError(path, item.reason))
        elif isinstance(item, str):
            problem = _text_problem(item)
            if problem:
                errors.append(FieldError(path, f"The text {problem}."))
    return errors


class _Unstorable(Exception):
    """A number the fast reading met that cannot be kept: read again, marking each, to say where."""


def _refuse(text: str) -> NoReturn:
    raise _Unstorable(text)


def _kept(value: float, text: str) -> bool:
    """Whether a number survives as a double: not past 1.8e308, and not below 5e-324 turned to 0,
    which PostgreSQL would keep (or refuse, past its own scale) while the event's context said 0."""
    if not math.isfinite(value):
        return False
    return value != 0 or not any(digit in "123456789" for digit in text.partition("e")[0].partition("E")[0])


def _float_or_refuse(text: str) -> float:
    value = float(text)
    if not _kept(value, text):
        raise _Unstorable(text)
    return value


def _constant(name: str) -> _Unreadable:
    return _Unreadable(f"{name} is not a JSON number.")


def _float(text: str) -> float | _Unreadable:
    value = float(text)
    if _kept(value, text):
        return value
    shown = text if len(text) <= 24 else f"{text[:20]}…"
    return _Unreadable(f"{shown} is too {'small' if value == 0 else 'large'} for a number.")


def _integer(text: str) -> int | _Unreadable:
    try:
        return int(text)
    except ValueError:
        digits = len(text.lstrip("-"))
        return _Unreadable(f"An integer of {digits} digits; at most {sys.get_int_max_str_digits()}.")


_DECODER = json.JSONDecoder(parse_constant=_refuse, parse_float=_float_or_refuse)
_DECODER_MARKING = json.JSONDecoder(parse_constant=_constant, parse_float=_float, parse_int=_integer)


def _loads(text: str) -> tuple[Any, bool]:
    """The parsed value, and whether it holds ``_Unreadable`` numbers."""
    try:
        return _DECODER.decode(text), False
    except json.JSONDecodeError:
        raise
    except (_Unstorable, ValueError):  # ValueError: an integer past Python's digit limit
        return _DECODER_MARKING.decode(text), True


def webhook_body_too_large() -> BodyRefused:
    return BodyRefused(413, f"The body is over the {settings.WEBHOOK_MAX_BODY_BYTES} byte limit")


def webhook_body_parse(*, body: bytes, charset: str = "") -> tuple[Any, bytes]:
    """The parsed body and the bytes to store (without a byte order mark); raises BodyRefused."""
    if len(body) > settings.WEBHOOK_MAX_BODY_BYTES:
        raise webhook_body_too_large()
    if charset and charset.strip().lower() not in _UTF8_NAMES:
        raise BodyRefused(415, f"The body must be UTF-8 JSON, not {charset}")
    encoding = json.detect_encoding(body)
    if encoding == "utf-8-sig":
        body = body[len(codecs.BOM_UTF8) :]
    elif encoding != "utf-8":
        raise BodyRefused(415, f"The body must be UTF-8 JSON; it looks like {encoding.upper()}")
    if _too_deep(body):
        raise BodyRefused(
            400, "The body is not valid JSON", [FieldError("", f"Nested more than {MAX_DEPTH} levels deep.")]
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyRefused(
            400, "The body is not valid JSON", [FieldError("", f"Not UTF-8 at byte {exc.start}: {exc.reason}.")]
        ) from None
    try:
        value, unreadable = _loads(text)
    except json.JSONDecodeError as exc:
        raise BodyRefused(400, "The body is not valid JSON", [FieldError("", str(exc))]) from None
    if unreadable or ("\\u" in text and _SUSPECT_ESCAPE.search(text)):
        errors = _walk_errors(value)
        if errors:
            raise BodyRefused(400, "The body holds values that cannot be stored", errors)
    if isinstance(value, dict) and "batch" in value and len(body) > MAX_BATCH_BYTES:
        raise BodyRefused(413, f"A batch is at most {MAX_BATCH_BYTES // 1024} KB (Segment's limit)")
    return value, body
