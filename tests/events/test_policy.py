import random
from datetime import UTC, datetime, timedelta

import pytest

from events.delivery import policy


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504, 599])
def test_retryable_statuses(status):
    assert policy.status_is_retryable(status)


@pytest.mark.parametrize("status", [200, 201, 301, 400, 401, 403, 404, 409, 422, 501, 505])
def test_terminal_statuses(status):
    assert not policy.status_is_retryable(status)


def test_backoff_doubles_from_the_base_and_stays_within_the_jitter():
    rng = random.Random(7)

    delays = [policy.backoff_seconds(attempt, base=60, cap=28800, rng=rng) for attempt in range(1, 13)]

    nominal = [min(60 * 2 ** (n - 1), 28800) for n in range(1, 13)]
    assert all(0.8 * want <= got <= 1.2 * want for got, want in zip(delays, nominal, strict=True))


def test_the_default_schedule_spreads_twelve_attempts_over_about_a_day():
    nominal = sum(min(policy.BASE_DELAY_SECONDS * 2 ** (n - 1), policy.MAX_DELAY_SECONDS) for n in range(1, 12))

    assert 20 * 3600 <= nominal <= 28 * 3600


def test_retry_after_in_seconds_is_clamped():
    now = datetime(2026, 1, 1, tzinfo=UTC)

    assert policy.retry_after_seconds("120", now=now, clamp=60) == 60
    assert policy.retry_after_seconds("0", now=now, clamp=60) == 1
    assert policy.retry_after_seconds("", now=now, clamp=60) is None
    assert policy.retry_after_seconds("soon", now=now, clamp=60) is None


def test_retry_after_as_an_http_date():
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)

    assert policy.retry_after_seconds("Thu, 01 Jan 2026 12:00:30 GMT", now=now, clamp=3600) == 30


def test_retry_after_wins_over_backoff_and_overload_sets_a_floor():
    with_header = policy.next_attempt_delay(attempt=1, retry_after=5, overloaded=True, base=60)
    overloaded = policy.next_attempt_delay(attempt=1, retry_after=None, overloaded=True, base=1)

    assert with_header == timedelta(seconds=5)
    assert overloaded == timedelta(seconds=policy.OVERLOAD_MIN_SECONDS)
