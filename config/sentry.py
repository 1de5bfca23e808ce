"""Error tracking with Sentry, on only when ``SENTRY_DSN`` is set.

What leaves for Sentry must hold no credential and no customer's data: webhook tokens and
signatures travel in request headers, connector secrets in settings dicts, customers in webhook
bodies. So no request body, cookies or frame locals are sent at all (a local such as a connector's
configuration would be sent as its repr, which no key-based filter can see into), and
``sentry_event_scrub`` filters every value, at any depth, whose key names a secret.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:  # the SDK itself is imported only when Sentry is on (it takes a fifth of a second)
    from sentry_sdk.types import Breadcrumb, BreadcrumbHint, Event, Hint

FILTERED = "[Filtered]"
# Keys whose values are credentials wherever they appear: request headers (X-Auth-Token,
# Authorization, x-voucherify-signature, Cookie, X-CSRFToken), connector secrets (air_client_secret,
# segment_write_key, voucherify_app_token, api_key…), session and query strings.
SECRET_KEY_PATTERN = re.compile(
    r"secret|token|passw|api[_-]?key|write[_-]?key|signature|authorization|cookie|session|csrf|query",
    re.IGNORECASE,
)
# Request parts dropped whole: bodies carry customers' data and signed payloads.
DROPPED_REQUEST_PARTS = ("data", "cookies")


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: FILTERED if isinstance(key, str) and SECRET_KEY_PATTERN.search(key) else _scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    if isinstance(value, str) and value.startswith(("http://", "https://")) and "?" in value:
        return value.split("?", 1)[0]  # postback URLs carry their parameters, a verification token among them
    return value


def sentry_event_scrub(event: Event, hint: Hint | None = None) -> Event:
    """``before_send``: the event without request body or cookies, every secret-named value
    filtered, and URLs without their query strings."""
    request = event.get("request")
    if isinstance(request, dict):
        for part in DROPPED_REQUEST_PARTS:
            request.pop(part, None)
    return cast("Event", _scrub(event))


def _breadcrumb_scrub(crumb: Breadcrumb, hint: BreadcrumbHint) -> Breadcrumb:
    return cast("Breadcrumb", _scrub(crumb))


def sentry_init(*, dsn: str, environment: str, release: str, traces_sample_rate: float = 0.0) -> None:
    """Start the SDK (its Django, Celery and logging integrations switch themselves on)."""
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=f"ee-connect@{release}",
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=traces_sample_rate,
        before_send=sentry_event_scrub,
        before_send_transaction=sentry_event_scrub,
        before_breadcrumb=_breadcrumb_scrub,
    )
