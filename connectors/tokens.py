"""Webhook tokens: issued once, stored as a SHA-256 hash, verified in constant time.

Tokens carry 256 bits of randomness, so a fast hash is the right tool (as for API keys at GitHub
or Stripe): there is nothing to brute-force. Several tokens may be active per connector and
direction, so a client can rotate without downtime.

A client may instead choose its own key (``token_register``). It is stored and verified exactly as
an issued token, so it must be as hard to guess as a fast hash demands: long, and not made of
words, repeats, sequences or keyboard runs. ``zxcvbn`` (Dropbox's estimator) judges that: it knows
common passwords and dictionary words and how people combine them, where Django's
``CommonPasswordValidator`` only matches a whole value against short passwords, which a key of 24
characters or more never is.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from zxcvbn import zxcvbn

from connectors.models import AuthToken, Connector
from core.direction import Direction

if TYPE_CHECKING:  # for annotations only: who acted is whatever user the request carries
    from django.contrib.auth.models import AnonymousUser, User

# "eec_in_" / "eec_out_" plus enough random characters that two tokens rarely share a prefix.
PREFIX_LENGTH = 16

# A client's own key: sent in a header, so visible ASCII without spaces.
KEY_MIN_LENGTH = 24
KEY_MAX_LENGTH = 256
# zxcvbn's estimate of the guesses an attacker needs, as a power of ten: 10^16 is about 2^53. A
# random key of 24 digits, the poorest alphabet, is estimated at 10^17 or more.
KEY_MIN_GUESSES_LOG10 = 16
# zxcvbn refuses longer input; a key whose first 72 characters are strong is strong.
_ZXCVBN_MAX_CHARS = 72
_PATTERNS = {
    "dictionary": "dictionary words or common passwords",
    "repeat": "repeated characters",
    "sequence": "sequences such as abcd or 1234",
    "spatial": "keyboard runs such as qwerty",
    "date": "dates",
    "regex": "recent years",
}


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


def token_touch(token: AuthToken, *, now: datetime) -> None:
    """Record that ``token`` was used, at most once per ``LAST_USED_RESOLUTION_SECONDS``."""
    last = token.last_used_at
    if last is None or (now - last).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
        AuthToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now  # a token kept by the process between webhooks (events.intake.callers)


def token_issue(
    *,
    connector: Connector,
    direction: str,
    label: str = "",
    user: "User | AnonymousUser | None" = None,
    expires_at: datetime | None = None,
) -> IssuedToken:
    if direction not in Direction.values:
        raise ValueError(f"direction must be one of {', '.join(Direction.values)}")
    plaintext = f"eec_{direction}_{secrets.token_urlsafe(32)}"
    token = AuthToken.objects.create(
        connector=connector,
        direction=direction,
        label=label,
        prefix=plaintext[:PREFIX_LENGTH],
        token_hash=token_hash(plaintext),
        created_by=cast("User | None", user),  # the API and the admin act only for a signed-in user
        expires_at=expires_at,
    )
    return IssuedToken(token=token, plaintext=plaintext)


def _key_refusal(value: str) -> str:
    """Why ``value`` cannot serve as a client's key, or "" when it can."""
    if len(value) < KEY_MIN_LENGTH:
        return f"A client's key must be at least {KEY_MIN_LENGTH} characters long; this one has {len(value)}."
    if len(value) > KEY_MAX_LENGTH:
        return f"A client's key must be at most {KEY_MAX_LENGTH} characters long; this one has {len(value)}."
    if not all("!" <= char <= "~" for char in value):
        return "A client's key is sent in the X-Auth-Token header: use visible ASCII characters, without spaces."
    if len(set(value)) == 1:
        return "A client's key must not be one character repeated."
    estimate = zxcvbn(value[:_ZXCVBN_MAX_CHARS])
    if estimate["guesses_log10"] >= KEY_MIN_GUESSES_LOG10:
        return ""
    made_of = sorted({_PATTERNS[m["pattern"]] for m in estimate["sequence"] if m["pattern"] in _PATTERNS})
    return (
        f"This key is guessable: it is made of {', '.join(made_of) or 'too little randomness'} "
        f"(about 10^{int(estimate['guesses_log10'])} guesses; a client's key needs at least "
        f"10^{KEY_MIN_GUESSES_LOG10}). Ask the client for a random key, e.g. from a password manager."
    )


def key_prefix(*, direction: str, hashed: str) -> str:
    """The readable label of a client's key: taken from its hash, so it shows none of its characters."""
    return f"key_{direction}_{hashed[:8]}"


def token_register(
    *,
    connector: Connector,
    direction: str,
    value: str,
    label: str = "",
    user: "User | AnonymousUser | None" = None,
    expires_at: datetime | None = None,
) -> AuthToken:
    """Store a key the client chose, hashed like an issued token, after checking it is hard to guess.

    Raises ``ValidationError`` naming the field ``value`` when it is short or guessable, or already
    registered anywhere (a key serves one connector and direction, live or revoked: a revoked key
    must not come back, and the webhook finds a caller by its key's hash alone).
    """
    if direction not in Direction.values:
        raise ValidationError({"direction": f"direction must be one of {', '.join(Direction.values)}"})
    refusal = _key_refusal(value)
    if refusal:
        raise ValidationError({"value": refusal})
    hashed = token_hash(value)
    existing = AuthToken.objects.filter(token_hash=hashed).first()
    if existing is None:
        try:
            with transaction.atomic():
                return AuthToken.objects.create(
                    connector=connector,
                    direction=direction,
                    label=label,
                    prefix=key_prefix(direction=direction, hashed=hashed),
                    token_hash=hashed,
                    created_by=cast("User | None", user),  # the API and the admin act only for a signed-in user
                    expires_at=expires_at,
                )
        except IntegrityError:  # the same key registered at the same moment
            existing = AuthToken.objects.get(token_hash=hashed)
    same_place = (existing.connector_id, existing.direction) == (connector.pk, direction)
    where = "this connector and direction" if same_place else "another connector or direction"
    state = "revoked" if existing.revoked_at else "live"
    raise ValidationError(
        {"value": f"This key is already registered ({state}, for {where}); ask the client for a new one."}
    )


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
