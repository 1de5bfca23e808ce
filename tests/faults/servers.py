"""Throwaway PostgreSQL and Redis servers of our own, on free ports in temporary folders, so that a
fault scenario may stop and restart them without touching anything else on the machine; and slow
destinations (one that hangs, one that drips its answer)."""

import contextlib
import os
import pwd
import shutil
import socketserver
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import redis

from tests.e2e.harness import free_port, wait_until

PG_SUPERUSER = "postgres"


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not candidates:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return str(candidates[-1])


class OwnPostgres:
    """``initdb`` + ``pg_ctl`` in a temporary folder, run as the postgres system user when we are root."""

    def __init__(self):
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="ee-connect-faults-pg-"))
        self.data = self.folder / "data"
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam(PG_SUPERUSER)
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            self._as_user = ["runuser", "-u", PG_SUPERUSER, "--"]

    def _run(self, *argv: str) -> None:
        subprocess.run([*self._as_user, *argv], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run(_pg_bin("initdb"), "-D", str(self.data), "-U", PG_SUPERUSER, "-A", "trust", "--no-sync")
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"),
                  "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop(mode="immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


class OwnRedis:
    """A ``redis-server`` without persistence on a free port: stopping it loses its queue, as a
    crashed broker would."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = Path(tempfile.mkdtemp(prefix="ee-connect-faults-redis-"))
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.folder / "redis.log", "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=log, stderr=subprocess.STDOUT,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        wait_until(lambda: _pings(client), timeout=10, message="the scenario's own Redis")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        time.sleep(0.1)
        return False


class SlowDestination:
    """A destination on a free port that never answers (``hang``) or answers 200 and then sends
    its body one byte a second (``drip``), as the slow partners did. Each connection has a thread
    of its own that waits on the socket, so it costs nothing while it holds the caller."""

    DRIP_BYTES = 120  # two minutes of body, far past any deadline of the platform

    def __init__(self, behaviour: str):
        assert behaviour in ("hang", "drip")
        self.behaviour = behaviour
        self.requests = 0
        handler = self._handler()
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handler(self):
        destination = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                destination.requests += 1
                self.request.settimeout(300)
                with contextlib.suppress(OSError):
                    if destination.behaviour == "hang":
                        while self.request.recv(65536):  # read whatever comes until the caller gives up
                            pass
                        return
                    self.request.recv(65536)
                    self.request.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        + f"Content-Length: {destination.DRIP_BYTES}\r\n\r\n".encode()
                    )
                    for _ in range(destination.DRIP_BYTES):
                        self.request.sendall(b" ")
                        time.sleep(1)

        return Handler

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
