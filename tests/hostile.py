"""Hypothesis strategies for hostile webhook input: parsed values for the kinds' parsers, and raw
bodies for the webhook views. Each starts from a kind's own samples, so most examples get past
the first check and reach the parser's deeper fields.

Bounded and derandomised (``FUZZ``), so a run in CI is the same run every time.
"""

import copy
import json
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**18, max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from([
        "", " ", "12.50", "-1", "0", "not a date", "2024-13-45T99:99:99Z", "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00", "x" * 250, "track", "identify", "services/trigger", "CUSTOMER_ID",
        "redemption.succeeded", "POSCONNECT.WALLET.SETTLE", "a@example.com", "é" * 130,
    ]),
)
# What a field may be replaced by: a scalar of any type, or a small container of them.
HOSTILE_VALUES = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=10), children, max_size=4),
        st.lists(st.text(max_size=8), min_size=1, max_size=3),  # a list of strings where objects belong
    ),
    max_leaves=8,
)


# Values aimed at what a field's name says it holds, drawn half the time for such a field.
_DATES = st.sampled_from([
    "0001-01-01T00:00:00+01:00", "not a date", "2024-13-45T99:99:99Z", "9999-12-31T23:59:59-01:00",
    "2024-03-01", "2024-03-01T12:00:00", "1700000000", "", " ",
]) | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
_IDS = st.sampled_from(["", " ", "x" * 201, "é" * 201, "0", "-1"]) | st.integers() | st.lists(st.text(max_size=3))
_AMOUNTS = st.sampled_from(["12.50", "", "-1", "1e999999", "NaN", "abc", "1" * 400]) | st.integers() | st.booleans()
_AIMED = (
    (("date", "time", "_at", "At", "start", "end"), _DATES),
    (("id", "Id", "ID", "reference", "email", "identity"), _IDS),
    (("amount", "total", "revenue", "value", "price", "points", "balance", "quantity", "current"), _AMOUNTS),
)


def _hostile_for(draw, key: str) -> Any:
    for parts, aimed in _AIMED:
        if any(part in key for part in parts) and draw(st.booleans()):
            return draw(aimed)
    return draw(HOSTILE_VALUES)


def _replace_somewhere(draw, value: Any, key: str = "") -> Any:
    """``value`` with one place in it replaced or a key dropped (below the top, perhaps a whole
    object or list replaced)."""
    if not isinstance(value, dict | list) or not value or (key and draw(st.integers(0, 4)) == 4):
        return _hostile_for(draw, key)
    if isinstance(value, dict):
        key = draw(st.sampled_from(sorted(value)))
        if draw(st.integers(0, 5)) == 5:
            del value[key]
        else:
            value[key] = _replace_somewhere(draw, value[key], key)
    else:
        index = draw(st.integers(0, len(value) - 1))
        value[index] = _replace_somewhere(draw, value[index], key or "[]")
    return value


@st.composite
def mutated(draw, samples: list[Any]) -> Any:
    """One of ``samples`` with one to three places replaced by hostile values, or dropped."""
    value = copy.deepcopy(draw(st.sampled_from(samples)))
    for _ in range(draw(st.integers(1, 3))):
        value = _replace_somewhere(draw, value)
    return value


def hostile_payloads(samples: list[Any]):
    """Parsed bodies for a parser: mutated samples mostly, sometimes anything at all."""
    return st.one_of(HOSTILE_VALUES, *[mutated(samples)] * 7)


_MARK = "\x1fhostile\x1f"
# JSON text no parser should be trusted with, put where a value was.
_RAW_TOKENS = st.sampled_from([
    b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1.5E+0400", b"1" * 5000, b'"\\u0000"', b'"a\\u0000b"',
    b'"\\ud800"', b'"\\udfff x"', b'"\\\\u0000"', b'"\\ud83d\\ude00"', b"[" * 70 + b"]" * 70, b"[" * 5000,
    b'{"a":', b'"unterminated', b"\xff\xfe", b'"\xed\xa0\x80"', b"", b"tru", b"[1,]", b'{"a" 1}',
    b'"' + b"x" * 300 + b'"', b"12345678901234567890123456789", b'"12.50"', b'"not a date"',
])


@st.composite
def hostile_bodies(draw, samples: list[Any]) -> bytes:
    """Raw bodies: a mutated sample as JSON, perhaps with a raw token spliced in, re-encoded, cut
    short or given a byte order mark; sometimes bytes that are no JSON at all."""
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.binary(max_size=64))
    if kind == 1:
        return draw(_RAW_TOKENS)
    value = copy.deepcopy(draw(st.sampled_from(samples)))
    if kind in (2, 3, 4):  # a raw token where a value was
        value = _replace_with_mark(draw, value)
        body = json.dumps(value).encode().replace(json.dumps(_MARK).encode(), draw(_RAW_TOKENS), 1)
    else:
        body = json.dumps(draw(mutated([value])), allow_nan=False).encode()
    if kind == 5:
        body = body[: draw(st.integers(0, max(0, len(body) - 1)))]
    elif kind == 6:
        body = b"\xef\xbb\xbf" + body
    elif kind == 7:
        body = body.decode().encode(draw(st.sampled_from(["utf-16", "utf-16-le", "utf-32-be"])))
    return body


def _replace_with_mark(draw, value: Any) -> Any:
    if not isinstance(value, dict | list) or not value or draw(st.integers(0, 3)) == 0:
        return _MARK
    if isinstance(value, dict):
        key = draw(st.sampled_from(sorted(value)))
        value[key] = _replace_with_mark(draw, value[key])
    else:
        index = draw(st.integers(0, len(value) - 1))
        value[index] = _replace_with_mark(draw, value[index])
    return value
