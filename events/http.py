"""The one HTTP client for outbound calls: pooled, with explicit timeouts, no redirects, TLS verified."""

import threading

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

from connectors.kinds.base import PreparedRequest

USER_AGENT = f"ee-connect/{settings.VERSION}"
_local = threading.local()


def _session() -> requests.Session:
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.headers["User-Agent"] = USER_AGENT
        adapter = HTTPAdapter(pool_connections=20, pool_maxsize=20, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.max_redirects = 0
        _local.session = session
    return session


def http_send(prepared: PreparedRequest) -> requests.Response:
    """Send once. Raises requests exceptions for network errors and timeouts; never follows redirects."""
    return _session().request(
        prepared.method,
        prepared.url,
        headers=prepared.headers,
        data=prepared.body,
        timeout=(settings.HTTP_CONNECT_TIMEOUT, settings.HTTP_READ_TIMEOUT),
        allow_redirects=False,
        verify=True,
        stream=True,
    )
