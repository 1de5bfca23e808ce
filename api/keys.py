"""API keys: issued once, stored as a SHA-256 hash (as webhook tokens are, ``connectors.tokens``).

A key carries 256 bits of randomness, so it is found by its hash alone, through the unique index:
there is nothing to brute-force and no candidate list to compare in constant time.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from api.models import ApiKey
from connectors.tokens import LAST_USED_RESOLUTION_SECONDS, token_hash

KEY_PREFIX = "eek_"
PREFIX_LENGTH = 12


@dataclass(frozen=True)
class IssuedApiKey:
    key: ApiKey
    plaintext: str  # shown once, never stored


def api_key_issue(
    *, user: User, label: str = "", expires_at: datetime | None = None, created_by: User | None = None
) -> IssuedApiKey:
    plaintext = f"{KEY_PREFIX}{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        user=user,
        label=label.strip(),
        prefix=plaintext[:PREFIX_LENGTH],
        key_hash=token_hash(plaintext),
        created_by=created_by,
        expires_at=expires_at,
    )
    return IssuedApiKey(key=key, plaintext=plaintext)


def api_key_verify(*, presented: str) -> ApiKey | None:
    """The live key ``presented`` is, with its user; None when unknown, revoked or expired."""
    if not presented.startswith(KEY_PREFIX):
        return None
    now = timezone.now()
    key = ApiKey.objects.select_related("user").filter(key_hash=token_hash(presented)).first()
    if key is None or key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        return None
    # Written at most once a minute, so a busy client does not write its row per request.
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


@transaction.atomic
def api_key_revoke(*, key: ApiKey) -> ApiKey:
    """Revoke ``key`` (kept, so the history of who could call the API stays); revoking twice is a no-op."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key
