"""Encryption at rest for connector secrets.

``ENCRYPTION_KEYS`` holds one or more Fernet keys: the first encrypts, all of them decrypt, so a
key is rotated by putting the new one first and re-saving (``connector_secrets_reencrypt``).
"""

import json
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretsUnreadable(Exception):
    pass


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


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
        return json.loads(_current().decrypt(token.encode()))
    except InvalidToken as exc:
        raise SecretsUnreadable("The connector's secrets cannot be decrypted with ENCRYPTION_KEYS") from exc
