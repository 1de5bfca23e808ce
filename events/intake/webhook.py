"""What a webhook asks of intake beyond HTTP: whether its caller may send (``webhook_authenticate``),
how many it sent this second (``connector_rate_count``), and the intake service called with what
the caller's lookup already knows (``webhook_receive``). The view (``events.views``) reads and
bounds the body, parses it, and turns each answer or refusal into its HTTP response.
"""

import time
from collections.abc import Mapping
from typing import Any, cast

from django.core.cache import cache
from django.utils import timezone

from connectors.kinds.base import Direction, Unauthenticated
from connectors.kinds.registry import kind_get
from connectors.models import Connector
from connectors.services import connector_config_cached
from connectors.tokens import token_touch
from events.intake.callers import Caller
from events.intake.receive import events_receive
from events.intake.store import Received
from events.rules.lookup import rules_for_revision

SIGNATURE_UNCHECKABLE = "This connector's secrets cannot be decrypted, so the signature cannot be checked; retry later"


class WebhookRefused(Exception):
    """The caller may not send: answered ``status`` with ``message`` (and ``retry_after`` seconds), nothing stored."""

    def __init__(self, status: int, message: str, *, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


def webhook_authenticate(
    *, caller: Caller, direction: str, body: bytes, headers: Mapping[str, str], presented_token: str
) -> Connector:
    """The caller's connector, if it may send ``body`` to its ``direction`` URL; else raises
    WebhookRefused, in this order: a URL the kind does not have (404), no token where the kind
    signs nothing (401), an unknown connector (403), a signature that cannot be checked (503) or
    is wrong (the kind's status), a wrong token (403), a disabled connector (403).

    A token that matches is recorded as used. ``headers``: the request's, by any case.
    """
    connector = caller.connector
    kind = kind_get(connector.kind) if connector is not None else None
    if kind is not None and direction not in kind.directions:
        raise WebhookRefused(404, f"This connector has no {'inbound' if direction == 'in' else 'outbound'} URL")
    kind_auth = kind.authenticate.get(Direction(direction)) if kind is not None else None
    if kind_auth is None and not presented_token:
        raise WebhookRefused(401, "Missing X-Auth-Token header")
    if connector is None:
        raise WebhookRefused(403, "Unknown connector or wrong token")
    if kind_auth is not None:
        config = connector_config_cached(connector)
        if config.secrets_unreadable:  # the secret that checks the signature is lost for now
            raise WebhookRefused(503, SIGNATURE_UNCHECKABLE, retry_after=60)
        try:
            kind_auth(body, {key.lower(): value for key, value in headers.items()}, config)
        except Unauthenticated as exc:
            raise WebhookRefused(exc.status, exc.message) from None
    elif caller.token is None:
        raise WebhookRefused(403, "Unknown connector or wrong token")
    else:
        token_touch(caller.token, now=timezone.now())
    if connector.state == Connector.State.DISABLED:
        raise WebhookRefused(403, "This connector is disabled")
    return connector


def connector_rate_count(connector: Connector) -> int:
    """Count one webhook in the connector's current second; the count so far (0 if the cache lost it)."""
    key = f"rate:{connector.pk}:{int(time.time())}"
    cache.add(key, 0, timeout=2)
    try:
        return cache.incr(key)
    except ValueError:
        return 0


def webhook_receive(*, caller: Caller, direction: str, payload: Any, body: bytes, remembered: bool) -> list[Received]:
    """``events_receive`` for an authenticated caller, with the connector's config and rules from
    the per-process caches its lookup's revisions key (no query when they are current).
    ``remembered``: the caller was not looked up, so the insert checks that it still holds."""
    connector = cast(Connector, caller.connector)  # webhook_authenticate refuses a caller without one
    return events_receive(
        connector=connector,
        direction=direction,
        payload=payload,
        config=connector_config_cached(connector),
        body=body,
        rules=rules_for_revision(
            kind=kind_get(connector.kind), direction=direction,
            rule_set_id=caller.rule_set_id, updated_at=caller.rules_updated_at,
        ),
        guard=caller if remembered else None,
    )
