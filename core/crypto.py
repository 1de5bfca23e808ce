"""Encryption at rest for connector secrets.

``ENCRYPTION_KEYS`` holds one or more Fernet keys: the first encrypts, all of them decrypt, so a
key is rotated by putting the new one first, re-encrypting every stored secret under it
(``manage.py secrets_reencrypt``, ``connector_secrets_reencrypt``), then dropping the old one.
A key list that is not made of Fernet keys stops the process at start (``encryption_keys_check``,
run by the app's ``ready``), not on the first request that needs a secret.
"""

import json
from collections.abc import Sequence
from functools import cache
from typing import cast

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

GENERATE_HINT = (
    "make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


class SecretsUnreadable(Exception):
    pass


def encryption_keys_check(keys: Sequence[str | bytes]) -> None:
    """Raise ImproperlyConfigured naming the first key of ``keys`` that is not a Fernet key (by its
    place in the list: the key itself is never repeated in a message)."""
    if isinstance(keys, str) or not keys:
        raise ImproperlyConfigured(
            f"ENCRYPTION_KEYS must list one or more Fernet keys, comma-separated; {GENERATE_HINT}"
        )
    for place, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode() if isinstance(key, str) else key)
        except (ValueError, TypeError, AttributeError):
            what = "is empty" if not str(key).strip() else "is not a Fernet key (32 bytes in url-safe base64)"
            raise ImproperlyConfigured(f"ENCRYPTION_KEYS: key {place} of {len(keys)} {what}; {GENERATE_HINT}") from None


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


@cache
def _first(key: str) -> Fernet:
    return Fernet(key.encode())


def _current() -> MultiFernet:
    return _fernet(tuple(settings.ENCRYPTION_KEYS))


def secrets_encrypt(values: dict[str, str]) -> str:
    if not values:
        return ""
    return _current().encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def secrets_decrypt(token: str) -> dict[str, str]:
    if not token:
        return {}
    try:
        # What secrets_encrypt stored: a JSON object of text values.
        return cast(dict[str, str], json.loads(_current().decrypt(token.encode())))
    except InvalidToken as exc:
        raise SecretsUnreadable("The connector's secrets cannot be decrypted with ENCRYPTION_KEYS") from exc


def secrets_rotate(token: str) -> str | None:
    """``token`` encrypted under the first key, or None when it already is (or holds nothing).
    Raises SecretsUnreadable when no key decrypts it."""
    if not token:
        return None
    try:
        _first(settings.ENCRYPTION_KEYS[0]).decrypt(token.encode())
        return None
    except InvalidToken:
        pass
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretsUnreadable("The connector's secrets cannot be decrypted with ENCRYPTION_KEYS") from exc
