"""Reading the project's customer metadata schema from Voucherify, on demand from the admin.

This module sends the one GET; ``connectors.services.voucherify_metadata_schema_refresh`` asks
for it and keeps the answer on the connector, so the kind stays free of the database.

The schema is read when staff ask for it (the connector page's button), never while an event is
translated: translation stays a pure function of the connector's settings, and a Voucherify outage
cannot hold deliveries. What was read is kept in the setting ``voucherify_metadata_schema``
with the time it was read, and stays in force until it is read again.

The call is one GET made from the admin's request, so it uses the outbound rules of every other
call (no redirects, no proxy from the environment, public addresses only, connect and read
timeouts) and reads at most :data:`MAX_SCHEMA_BYTES` of the answer.
"""

from collections.abc import Callable

import requests
from django.conf import settings as django_settings
from requests_hardened.ip_filter_adapter import IPFilterAdapter

from connectors.addresses import loopback_allowed
from connectors.kinds.base import PreparedRequest

MAX_SCHEMA_BYTES = 1024 * 1024
Send = Callable[[PreparedRequest], tuple[int, bytes]]


def voucherify_schema_send(prepared: PreparedRequest) -> tuple[int, bytes]:
    """(status, at most MAX_SCHEMA_BYTES of the body) of one GET; raises requests' exceptions."""
    allow_loopback = loopback_allowed()
    with requests.Session() as session:
        session.trust_env = False
        session.max_redirects = 0
        session.mount("http://", IPFilterAdapter(is_https_proto=False, allow_loopback=allow_loopback))
        session.mount("https://", IPFilterAdapter(is_https_proto=True, allow_loopback=allow_loopback))
        with session.request(
            prepared.method,
            prepared.url,
            headers=prepared.headers,
            timeout=(django_settings.HTTP_CONNECT_TIMEOUT, django_settings.HTTP_READ_TIMEOUT),
            allow_redirects=False,
            stream=True,
        ) as response:
            return response.status_code, response.raw.read(MAX_SCHEMA_BYTES, decode_content=True)

