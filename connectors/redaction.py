"""Keeping a connector's secrets out of what the delivery log stores.

Headers are redacted by name where they are recorded (``Authorization`` and the like); this module
finds the secret values themselves, wherever a destination put them: a response that echoes its
request (headers, body, URL), an error message that quotes the URL. A secret is looked for in
every form it can travel in: as it is, URL-encoded, JSON-escaped, and in base64 alone and followed
by a colon (HTTP Basic credentials, as Segment's ``writekey:``), padded or not.
"""

import base64
import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
# Shorter values are not looked for: they would match ordinary text, and are no secret worth the name.
MIN_SECRET_CHARS = 4


def _forms(secret: str) -> set[str]:
    forms = {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}
    for raw in (secret.encode(), f"{secret}:".encode()):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(raw).decode()
            forms.update((encoded, encoded.rstrip("=")))  # padded or not; longer forms are matched first
    return {form for form in forms if len(form) >= MIN_SECRET_CHARS}


@lru_cache(maxsize=256)
def _pattern(secrets: frozenset[str]) -> tuple[re.Pattern[str] | None, tuple[str, ...]]:
    forms = sorted({form for secret in secrets for form in _forms(secret)}, key=len, reverse=True)
    if not forms:
        return None, ()
    return re.compile("|".join(re.escape(form) for form in forms)), tuple(forms)


def _secrets(values: Iterable[str] | Mapping[str, str]) -> frozenset[str]:
    if isinstance(values, Mapping):
        values = values.values()
    return frozenset(value for value in values if isinstance(value, str) and len(value) >= MIN_SECRET_CHARS)


def text_redact(text: str, secrets: Iterable[str] | Mapping[str, str], *, cut: bool = False) -> str:
    """``text`` with every form of every secret replaced by ``[redacted]``.

    ``cut``: the text was cut short, so it may end with the start of a secret; that end goes too.
    """
    pattern, forms = _pattern(_secrets(secrets))
    if pattern is None or not text:
        return text
    text = pattern.sub(REDACTED, text)
    if cut:
        tail = max(
            (length for form in forms for length in range(MIN_SECRET_CHARS, len(form)) if text.endswith(form[:length])),
            default=0,
        )
        if tail:
            text = text[:-tail] + REDACTED
    return text


def headers_secrets_redact(headers: Mapping[str, str], secrets: Iterable[str] | Mapping[str, str]) -> dict[str, str]:
    """The values of ``headers`` with the secrets' forms redacted (the names are kept)."""
    return {name: text_redact(str(value), secrets) for name, value in headers.items()}
