"""Eagle Eye AIR request authentication (spec/segment-air.md §4.1).

``X-EES-AUTH-HASH`` is the lowercase hex SHA-256 of path + query + the exact body bytes sent +
the client secret.
"""

import hashlib
import hmac
from urllib.parse import urlsplit


def air_auth_hash(*, url: str, body: bytes, client_secret: str) -> str:
    parts = urlsplit(url)
    uri = parts.path + (f"?{parts.query}" if parts.query else "")
    return hashlib.sha256(uri.encode() + body + client_secret.encode()).hexdigest()


def air_auth_headers(*, url: str, body: bytes, client_id: str, client_secret: str) -> dict[str, str]:
    return {
        "X-EES-AUTH-CLIENT-ID": client_id,
        "X-EES-AUTH-HASH": air_auth_hash(url=url, body=body, client_secret=client_secret),
    }


def air_auth_verify(*, path_and_query: str, body: bytes, client_secret: str, presented: str) -> bool:
    expected = hashlib.sha256(path_and_query.encode() + body + client_secret.encode()).hexdigest()
    return hmac.compare_digest(expected, presented.lower())
