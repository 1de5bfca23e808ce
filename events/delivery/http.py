"""The one HTTP client for outbound calls: pooled, TLS verified, no redirects, public addresses only,
and a total deadline on each call.

``HTTP_TOTAL_TIMEOUT`` bounds the whole call, from connecting to the last byte of the answer read.
Per-read timeouts alone let a destination that sends one byte every few seconds hold a worker for
ever; here every send and receive on the socket waits at most until the call's deadline, the
status line and headers included. (Name resolution is the system resolver's and keeps its own
timeouts.)

Addresses: requests-hardened resolves the host once, refuses private and loopback addresses and
connects to the address it checked (so DNS cannot answer one address to the check and another to
the connection), keeping the host name for TLS. ``connectors.addresses`` adds the categories it
does not name (reserved, unspecified...) and the words of the error.
"""

import contextvars
import io
import ipaddress
import socket
import threading
import time
from typing import Any, cast

import requests
from django.conf import settings
from requests_hardened.ip_filter import InvalidIPAddress
from requests_hardened.ip_filter_adapter import IPFilterAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ReadTimeoutError

from connectors.addresses import address_refusal, loopback_allowed
from connectors.kinds.base import PreparedRequest

USER_AGENT = f"ee-connect/{settings.VERSION}"
POOL_SIZE = 20
_CHUNK = 8192
_CLOCK_SLACK = 0.01
_local = threading.local()
# The monotonic time the call under way in this thread must end by; None outside ``http_send``.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("outbound_deadline", default=None)


class DeadlineExceeded(requests.Timeout):
    """No complete answer within ``HTTP_TOTAL_TIMEOUT``: retried like any timeout."""


class AddressRefused(requests.RequestException):
    """The destination resolves to an address outbound calls may not reach; nothing was sent."""


def _remaining(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("the total deadline for the call passed")
    return remaining


class _DeadlineSocket:
    """A connected socket (plain or TLS) whose sends and receives wait no longer than the deadline of
    the call using it. Pooled connections outlive a call: the deadline is looked up at each use."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._timeout = sock.gettimeout()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def settimeout(self, value: float | None) -> None:
        self._timeout = value
        self._sock.settimeout(value)

    def gettimeout(self) -> float | None:
        return self._timeout

    def _bound(self) -> None:
        remaining = _remaining(_deadline.get())
        if remaining is not None and (self._timeout is None or remaining < self._timeout):
            self._sock.settimeout(remaining)
        else:
            self._sock.settimeout(self._timeout)

    def recv_into(self, *args: Any) -> int:
        self._bound()
        return self._sock.recv_into(*args)

    def recv(self, *args: Any) -> bytes:
        self._bound()
        return self._sock.recv(*args)

    def send(self, *args: Any) -> int:
        self._bound()
        return self._sock.send(*args)

    def sendall(self, *args: Any) -> None:
        self._bound()  # one sendall waits at most its timeout in all
        return self._sock.sendall(*args)

    def makefile(self, mode: str = "rb", buffering: int | None = -1, **_: Any) -> io.BufferedReader:
        # http.client reads the status line, headers and body through this file: through us.
        # SocketIO uses only recv_into, send and _decref_socketios of its socket, which this has;
        # typeshed asks for a real socket.
        raw = socket.SocketIO(self, "rb")  # type: ignore[arg-type]
        return io.BufferedReader(
            raw, io.DEFAULT_BUFFER_SIZE if buffering in (-1, None) else cast(int, buffering)  # neither -1 nor None
        )

    def _decref_socketios(self) -> None:
        """The file above does not own the socket: the connection closes it."""


class _DeadlineConnection(HTTPConnection):
    def connect(self) -> None:
        remaining = _remaining(_deadline.get())
        if remaining is not None and (self.timeout is None or remaining < self.timeout):
            self.timeout = remaining  # connecting, and the TLS handshake as a whole, within the deadline
        super().connect()
        self.sock = _DeadlineSocket(self.sock)


class _DeadlineHTTPSConnection(_DeadlineConnection, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _DeadlineConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


class _Adapter(IPFilterAdapter):  # type: ignore[misc]  # requests-hardened ships no types: its adapter is Any
    def __init__(self, *, https: bool, allow_loopback: bool) -> None:
        super().__init__(is_https_proto=https, allow_loopback=allow_loopback)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        super().init_poolmanager(POOL_SIZE, POOL_SIZE, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: bool | str, cert: str | tuple[str, str] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        try:
            host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        except InvalidIPAddress as exc:
            address = ipaddress.ip_address(str(exc.args[0]))
            refusal = address_refusal(address, allow_loopback=self._allow_loopback)
            raise AddressRefused(refusal or f"Destination address {address} is not public; refused.") from exc
        address = ipaddress.ip_address(host_params["host"].strip("[]"))  # what the connection will dial
        refusal = address_refusal(address, allow_loopback=self._allow_loopback)
        if refusal:
            raise AddressRefused(refusal)
        return host_params, pool_kwargs


class _Session(requests.Session):
    def get_redirect_target(self, resp: requests.Response) -> None:
        # Redirects are never followed, nor even prepared: requests would read the whole body of
        # a 3xx (no limit) to prepare the next request. The 3xx is the answer.
        return None


def _session() -> requests.Session:
    allow_loopback = loopback_allowed()
    sessions = _local.__dict__.setdefault("sessions", {})
    session: requests.Session | None = sessions.get(allow_loopback)
    if session is None:
        session = _Session()
        # Straight to the destination: no proxy from the environment, whose connections would
        # be made by urllib3's proxy pools, without the deadline sockets above.
        session.trust_env = False
        session.headers["User-Agent"] = USER_AGENT
        session.mount("http://", _Adapter(https=False, allow_loopback=allow_loopback))
        session.mount("https://", _Adapter(https=True, allow_loopback=allow_loopback))
        session.max_redirects = 0
        sessions[allow_loopback] = session
    return session


def _deadline_passed() -> bool:
    # A receive bounded by the deadline times out at it, give or take the clock's resolution.
    deadline = _deadline.get()
    return deadline is not None and time.monotonic() >= deadline - _CLOCK_SLACK


def _body(response: requests.Response, *, limit: int) -> bytes:
    """At most ``limit`` bytes of the body. A body broken after the status line becomes a note
    saying why, so the status is kept; running out of time is a timeout, whatever the status."""
    body = bytearray()
    try:
        while len(body) < limit:
            chunk = response.raw.read(min(_CHUNK, limit - len(body)), decode_content=True)
            if not chunk:
                break
            body += chunk
    except ReadTimeoutError:
        raise
    except Urllib3Error as exc:
        return f"(response body unreadable: {exc})".encode()
    return bytes(body)


def http_send(prepared: PreparedRequest, *, body_limit: int) -> requests.Response:
    """Send once and read at most ``body_limit`` bytes of the answer (``response.content``), all
    within ``HTTP_TOTAL_TIMEOUT``: connecting, sending, the status line, headers and body.

    Raises ``AddressRefused`` before connecting to an address that is not public,
    ``DeadlineExceeded`` (a ``requests.Timeout``) when time runs out, whether or not the status
    line had come, other requests exceptions for network errors; never follows redirects.
    """
    total = settings.HTTP_TOTAL_TIMEOUT
    token = _deadline.set(time.monotonic() + total)
    try:
        response = _session().request(
            prepared.method,
            prepared.url,
            headers=prepared.headers,
            data=prepared.body,
            timeout=(min(settings.HTTP_CONNECT_TIMEOUT, total), min(settings.HTTP_READ_TIMEOUT, total)),
            allow_redirects=False,
            verify=True,
            stream=True,
        )
        try:
            content = _body(response, limit=body_limit)
        finally:
            response.close()  # a body left unread closes the connection rather than go back to the pool
    except AddressRefused:
        raise
    except (requests.RequestException, ReadTimeoutError) as exc:
        if _deadline_passed():
            raise DeadlineExceeded(f"no complete answer within {total:g} s (HTTP_TOTAL_TIMEOUT)") from exc
        if isinstance(exc, ReadTimeoutError):  # the body stalled longer than HTTP_READ_TIMEOUT
            raise requests.ReadTimeout(exc) from exc
        raise
    finally:
        _deadline.reset(token)
    response._content = content
    response._content_consumed = True
    return response
