"""Retry policy: which outcomes are retried, and when (ARCHITECTURE.md §4).

Retryable: network errors, timeouts, 408, 425, 429 (``Retry-After`` honoured within a clamp), and
5xx except 501 and 505. Everything else is terminal. Backoff is exponential with ±20 % jitter;
the default schedule spreads 12 attempts over about 24 hours.
"""

import random
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from connectors.kinds.base import RETRYABLE_4XX, TERMINAL_5XX

# Seconds to wait after attempt n (1-based): 1, 2, 4, 8, 16, 32 min, ~1, 2, 4, 8, 8 h: 12 attempts in ~24 h.
BASE_DELAY_SECONDS = 60
MAX_DELAY_SECONDS = 8 * 3600
JITTER = 0.2
# A timeout or a 429 means the destination is overloaded: never come back sooner than this.
OVERLOAD_MIN_SECONDS = 60


def status_is_retryable(status: int) -> bool:
    if 200 <= status < 300:
        return False
    if status >= 500:
        return status not in TERMINAL_5XX
    return status in RETRYABLE_4XX


def status_reason(status: int) -> str:
    if status == 429:
        return "The destination is rate limiting (429)"
    if status in (408, 425):
        return f"The destination timed out or was not ready ({status})"
    if status >= 500:
        verdict = "will not be retried" if status in TERMINAL_5XX else "will be retried"
        return f"The destination failed with {status} ({verdict})"
    if status in (401, 403):
        return f"The destination refused our credentials ({status}); check the connector's secrets"
    if status == 404:
        return "The destination URL was not found (404); check the connector's settings"
    if 300 <= status < 400:
        return f"The destination answered with a redirect ({status}); redirects are not followed"
    return f"The destination rejected the request ({status})"


def backoff_seconds(
    attempt: int,
    *,
    base: float = BASE_DELAY_SECONDS,
    cap: float = MAX_DELAY_SECONDS,
    rng: random.Random | None = None,
) -> float:
    delay = min(base * 2 ** max(attempt - 1, 0), cap)
    jitter = (rng or random).uniform(1 - JITTER, 1 + JITTER)
    return delay * jitter


def retry_after_seconds(value: str | None, *, now: datetime, clamp: int) -> float | None:
    """Parse a Retry-After header (seconds or an HTTP date), clamped to [1, clamp]."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - now).total_seconds()
        except (TypeError, ValueError):
            return None
    return max(1.0, min(seconds, float(clamp)))


def next_attempt_delay(
    *,
    attempt: int,
    retry_after: float | None,
    overloaded: bool,
    base: float = BASE_DELAY_SECONDS,
    cap: float = MAX_DELAY_SECONDS,
    overload_min: float = OVERLOAD_MIN_SECONDS,
    rng: random.Random | None = None,
) -> timedelta:
    seconds = backoff_seconds(attempt, base=base, cap=cap, rng=rng)
    if overloaded:
        seconds = max(seconds, overload_min)
    if retry_after is not None:
        seconds = retry_after
    return timedelta(seconds=seconds)
