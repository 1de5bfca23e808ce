"""Outbound HTTP against real sockets on 127.0.0.1: the total deadline, and the address check.

The slow destinations below never finish on their own (they drip or wait until the client hangs
up), so a call can only end by the deadline: the tests assert how it ended, never how long it took.
"""

import socket
import threading
import time

import pytest
import requests

from connectors.kinds.base import PreparedRequest
from events.delivery.http import AddressRefused, DeadlineExceeded, http_send

# Every drip comes well within the per-read timeout: only the total deadline can end the call.
DEADLINE = 0.3
READ_TIMEOUT = 60.0
DRIP_EVERY = 0.02


class Destination:
    """A loopback HTTP server answering each connection with ``answer(connection)`` on a thread."""

    def __init__(self, answer):
        self.answer = answer
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/v1/batch"
        self.connections = 0
        self.requests: list[bytes] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection):
        with connection:
            try:
                while True:
                    head = _read_request(connection)
                    if not head:
                        return
                    self.requests.append(head)
                    if not self.answer(connection, self.stopping):
                        return
            except OSError:  # the client hung up: that is how a slow answer ends
                return

    def stop(self):
        self.stopping.set()
        self.listener.close()


def _read_request(connection) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(4096)
        if not chunk:
            return b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lengths = [line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")]
    length = int(lengths[0]) if lengths else 0
    while len(rest) < length:
        rest += connection.recv(4096)
    return head


def _drip(connection, stopping, data: bytes):
    for byte in data:
        if stopping.wait(DRIP_EVERY):
            return
        connection.sendall(bytes([byte]))


def drips_the_body(connection, stopping):
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n")
    _drip(connection, stopping, b"x" * 1_000_000)


def drips_the_status_line(connection, stopping):
    _drip(connection, stopping, b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"y" * 1_000_000)


def never_answers(connection, stopping):
    stopping.wait()


def answers_ok(connection, stopping):
    body = b'{"success":true}'
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    return True  # keeps the connection open for the next request


def answers_a_large_body(connection, stopping):
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"z" * 100_000)


def redirects(connection, stopping):
    connection.sendall(b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/\r\nContent-Length: 0\r\n\r\n")
    return True


def breaks_off(connection, stopping):
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
    connection.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def destination(request):
    made = []

    def start(answer):
        made.append(Destination(answer))
        return made[-1]

    yield start
    for server in made:
        server.stop()


@pytest.fixture(autouse=True)
def _timeouts(settings):
    settings.HTTP_TOTAL_TIMEOUT = DEADLINE
    settings.HTTP_READ_TIMEOUT = READ_TIMEOUT
    settings.HTTP_CONNECT_TIMEOUT = 5.0
    settings.OUTBOUND_ALLOW_LOOPBACK = True


def _post(url: str, *, body_limit: int = 8192) -> requests.Response:
    prepared = PreparedRequest(method="POST", url=url, headers={"Content-Type": "application/json"}, body=b"{}")
    return http_send(prepared, body_limit=body_limit)


def test_a_body_dripping_a_byte_at_a_time_ends_at_the_total_deadline(destination):
    server = destination(drips_the_body)

    with pytest.raises(DeadlineExceeded) as caught:
        _post(server.url)

    assert str(caught.value) == f"no complete answer within {DEADLINE:g} s (HTTP_TOTAL_TIMEOUT)"
    assert isinstance(caught.value, requests.Timeout)  # events.delivery.sending retries it as a timeout


def test_a_status_line_dripping_a_byte_at_a_time_ends_at_the_total_deadline(destination):
    server = destination(drips_the_status_line)

    with pytest.raises(DeadlineExceeded):
        _post(server.url)


def test_a_destination_that_never_answers_ends_at_the_total_deadline_not_the_read_timeout(destination):
    server = destination(never_answers)

    with pytest.raises(DeadlineExceeded):
        _post(server.url)


def test_an_answer_in_time_is_read_whole_and_its_connection_kept_for_the_next_call(destination):
    server = destination(answers_ok)

    first = _post(server.url)
    time.sleep(DEADLINE * 2)  # the first call's deadline is long gone: the next call has its own
    second = _post(server.url)

    assert (first.status_code, first.content) == (200, b'{"success":true}')
    assert (second.status_code, second.content) == (200, b'{"success":true}')
    assert (server.connections, len(server.requests)) == (1, 2)


def test_only_the_first_body_limit_bytes_are_read(destination):
    server = destination(answers_a_large_body)

    response = _post(server.url, body_limit=8193)

    assert response.content == b"z" * 8193


def test_a_body_broken_after_the_status_line_keeps_the_status_and_says_why(destination):
    server = destination(breaks_off)

    response = _post(server.url)

    assert response.status_code == 200
    assert response.content.startswith(b"(response body unreadable: ")
    assert b"IncompleteRead(7 bytes read, 93 more expected)" in response.content


def test_a_redirect_is_the_answer_not_followed(destination):
    server = destination(redirects)

    response = _post(server.url)

    assert (response.status_code, response.headers["Location"]) == (302, "http://169.254.169.254/")
    assert len(server.requests) == 1


# --- Addresses -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://169.254.169.254/latest/meta-data", "Destination address 169.254.169.254 is link-local; refused."),
        ("http://10.0.0.5/v1/batch", "Destination address 10.0.0.5 is private; refused."),
        ("http://192.168.1.20/", "Destination address 192.168.1.20 is private; refused."),
        ("http://172.16.0.1/", "Destination address 172.16.0.1 is private; refused."),
        ("http://100.64.0.1/", "Destination address 100.64.0.1 is not public; refused."),
        ("http://0.0.0.0/", "Destination address 0.0.0.0 is unspecified; refused."),
        ("http://224.0.0.1/", "Destination address 224.0.0.1 is multicast; refused."),
        ("http://240.0.0.1/", "Destination address 240.0.0.1 is reserved; refused."),
        ("http://[fd00::1]/", "Destination address fd00::1 is private; refused."),
        ("http://[fe80::1]/", "Destination address fe80::1 is link-local; refused."),
    ],
)
def test_a_non_public_address_is_refused_before_connecting(settings, url, message):
    settings.OUTBOUND_ALLOW_LOOPBACK = True  # the sandbox's allowance is loopback, nothing else

    with pytest.raises(AddressRefused) as caught:
        _post(url)

    assert str(caught.value) == message


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "0x7f000001", "2130706433", "017700000001", "127.1", "[::ffff:127.0.0.1]"],
)
def test_loopback_written_any_way_is_refused_in_production_whatever_listens_there(settings, destination, host):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    server = destination(answers_ok)
    unused = socket.create_server(("127.0.0.1", 0))
    closed_port = unused.getsockname()[1]
    unused.close()

    with pytest.raises(AddressRefused) as listening:
        _post(f"http://{host}:{server.port}/v1/batch")
    with pytest.raises(AddressRefused) as nothing_there:
        _post(f"http://{host}:{closed_port}/v1/batch")

    # one error, the same with or without a server: the log says nothing about the port
    assert str(listening.value) == str(nothing_there.value) == "Destination address 127.0.0.1 is loopback; refused."
    assert server.connections == 0


def test_ipv6_loopback_is_refused_in_production(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = False

    with pytest.raises(AddressRefused) as caught:
        _post("http://[::1]:9/v1/batch")

    assert str(caught.value) == "Destination address ::1 is loopback; refused."


def test_a_name_is_checked_by_the_address_it_resolves_to_when_connecting(settings, monkeypatch):
    # given a name that resolved to a public address when saved, and now to the metadata service
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host == "rebound.example":
            return real("169.254.169.254", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)

    with pytest.raises(AddressRefused) as caught:
        _post("https://rebound.example/v1/batch")

    assert str(caught.value) == "Destination address 169.254.169.254 is link-local; refused."


def redirects_with_a_large_body(connection, stopping):
    connection.sendall(b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 100000\r\n\r\n" + b"r" * 100_000)


def test_a_redirect_body_is_read_no_further_than_any_other(destination):
    server = destination(redirects_with_a_large_body)

    response = _post(server.url, body_limit=10)

    assert (response.status_code, response.content) == (302, b"r" * 10)
