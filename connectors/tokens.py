"""Webhook tokens: issued once, stored as a SHA-256 hash, verified in constant time.

Tokens carry 256 bits of randomness, so a fast hash is the right tool (as for API keys at GitHub
or Stripe): there is nothing to brute-force. Several tokens may be active per connector and
direction, so a client can rotate without downtime.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from connectors.models import AuthToken, Connector

# "eec_in_" / "eec_out_" plus enough random characters that two tokens rarely share a prefix.
PREFIX_LENGTH = 16


class TokenNotFound(Exception):
    pass


class TokenAmbiguous(TokenNotFound):
    """Several tokens share the prefix; the caller must name one by id."""


@dataclass(frozen=True)
class IssuedToken:
    token: AuthToken
    plaintext: str  # shown once, never stored


# A token's last use is written at most this often, so a busy webhook does not write its row per request.
LAST_USED_RESOLUTION_SECONDS = 60


def token_hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def token_touch(token: AuthToken, *, now) -> None:
    """Record that ``token`` was used, at most once per ``LAST_USED_RESOLUTION_SECONDS``."""
    last = token.last_used_at
    if last is None or (now - last).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
        AuthToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now  # a token kept by the process between webhooks (events.services.intake)


def token_issue(
    *, connector: Connector, direction: str, label: str = "", user=None, expires_at=None
) -> IssuedToken:
    if direction not in AuthToken.Direction.values:
        raise ValueError(f"direction must be one of {', '.join(AuthToken.Direction.values)}")
    plaintext = f"eec_{direction}_{secrets.token_urlsafe(32)}"
    token = AuthToken.objects.create(
        connector=connector,
        direction=direction,
        label=label,
        prefix=plaintext[:PREFIX_LENGTH],
        token_hash=token_hash(plaintext),
        created_by=user,
        expires_at=expires_at,
    )
    return IssuedToken(token=token, plaintext=plaintext)


def token_verify(*, connector: Connector, direction: str, presented: str) -> AuthToken | None:
    """Return the live token of (connector, direction) that matches, or None.

    Every live candidate is compared with ``hmac.compare_digest`` so the time taken does not
    depend on how much of the token matched.
    """
    if not presented:
        return None
    now = timezone.now()
    presented_hash = token_hash(presented)
    match = None
    candidates = AuthToken.objects.filter(connector=connector, direction=direction, revoked_at__isnull=True)
    for candidate in candidates.only("id", "token_hash", "expires_at", "last_used_at"):
        if hmac.compare_digest(candidate.token_hash, presented_hash) and (
            candidate.expires_at is None or candidate.expires_at > now
        ):
            match = candidate
    if match is not None:
        token_touch(match, now=now)
    return match


@transaction.atomic
def token_revoke(*, prefix_or_id: str) -> AuthToken:
    query = AuthToken.objects.select_for_update()
    lookup = {"pk": int(prefix_or_id)} if prefix_or_id.isdigit() else {"prefix": prefix_or_id}
    found = query.filter(**lookup)
    matches = list(found[:2])
    if not matches:
        raise TokenNotFound(f"No token with id or prefix {prefix_or_id!r}")
    if len(matches) > 1:
        raise TokenAmbiguous(f"Several tokens start with {prefix_or_id!r}; revoke by id instead")
    token = matches[0]
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
