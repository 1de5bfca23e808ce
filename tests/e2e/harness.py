"""A real platform for end-to-end tests: gunicorn, a Celery worker and beat, as subprocesses,
sharing the test database, talking over real HTTP on 127.0.0.1."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_until(predicate, *, timeout: float = 30.0, interval: float = 0.2, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout}s waiting for {message}")


class Platform:
    def __init__(self, var_dir: Path):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.var_dir = var_dir
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "EE_CONNECT_VAR_DIR": str(var_dir),
            "PUBLIC_BASE_URL": self.base_url,
            "SANDBOX_ENABLED": "true",
            "DELIVERY_BACKOFF_BASE_SECONDS": "0.2",
            "DELIVERY_BACKOFF_MAX_SECONDS": "1",
            "DELIVERY_SWEEP_SECONDS": "0.5",
            "DELIVERY_CLAIM_SECONDS": "6",
            "DELIVERY_HINT_STALE_SECONDS": "3",
            "HTTP_READ_TIMEOUT": "3",
            "DATABASE_CONN_MAX_AGE": "0",
            "LOG_LEVEL": "WARNING",
        }
        self.processes: dict[str, subprocess.Popen] = {}

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.var_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = process
        return process

    def start_web(self):
        self._spawn("web", [str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{self.port}",
                            "--workers", "1", "--threads", "8", "--timeout", "60"])
        wait_until(self._web_up, timeout=30, message="the web server")

    def start_worker(self, name: str = "worker"):
        return self._spawn(name, [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "WARNING",
                                  "--concurrency", "2", "--pool", "threads", "--hostname", f"{name}-{self.port}@%h",
                                  "--without-mingle", "--without-gossip"])

    def start_beat(self):
        self._spawn("beat", [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "WARNING",
                             "--schedule", str(self.var_dir / "beat-schedule")])

    def kill(self, name: str, sig=signal.SIGKILL):
        process = self.processes.pop(name)
        process.send_signal(sig)
        process.wait(timeout=15)

    def stop(self):
        for name in list(self.processes):
            process = self.processes[name]
            process.terminate()
        for name in list(self.processes):
            try:
                self.processes[name].wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.processes[name].kill()
            self.processes.pop(name)

    def _web_up(self) -> bool:
        try:
            return requests.get(f"{self.base_url}/status", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}" for path in self.var_dir.glob("*.log")
        )

    def sandbox(self, upstream: str) -> str:
        return f"{self.base_url}/sandbox/{upstream}"

    def received(self, upstream: str) -> list[dict]:
        """The requests the upstream received, oldest first."""
        return requests.get(f"{self.sandbox(upstream)}/received", timeout=5).json()["requests"]

    def segment_messages(self) -> list[dict]:
        """The messages the Segment sandbox kept, de-duplicated by messageId as Segment does."""
        received = requests.get(f"{self.sandbox('segment')}/received", timeout=5).json()
        return [row["message"] for row in received["messages"]]

    def behave(self, upstream: str, **behaviour):
        response = requests.post(f"{self.sandbox(upstream)}/behaviour", json=behaviour, timeout=5)
        assert response.status_code == 200, response.text

    def post(self, path: str, body, *, token: str, content_type: str = "application/json", raw: bytes | None = None):
        data = raw if raw is not None else json.dumps(body).encode()
        return requests.post(
            f"{self.base_url}{path}",
            data=data,
            headers={"Content-Type": content_type, "X-Auth-Token": token},
            timeout=10,
        )


@contextmanager
def platform_running(*, prefix: str, **env: str):
    """Web server, worker and beat with ``env`` on top of the harness's own; logs printed on failure."""
    var_dir = Path(tempfile.mkdtemp(prefix=prefix))
    running = Platform(var_dir)
    running.env.update(env)
    try:
        running.start_web()
        running.start_worker()
        running.start_beat()
        yield running
    except Exception:
        print(running.logs())
        raise
    finally:
        running.stop()
        shutil.rmtree(var_dir, ignore_errors=True)
