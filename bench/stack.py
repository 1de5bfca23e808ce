"""The processes a benchmark runs against: gunicorn with the production settings, Celery workers,
beat, and wrk as the load generator, all on 127.0.0.1, against PostgreSQL and Redis."""

import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ee_connect_bench")
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/5")

WRK_SCRIPT = """
local counter = 0
local prefix = "%(prefix)s"
local template = [==[%(body)s]==]
local headers = {["Content-Type"] = "application/json", ["X-Auth-Token"] = "%(token)s"}
local pause = %(pause_ms)d
function setup(thread)
  thread:set("tid", tostring(math.random(1, 1000000000)))
end
function request()
  counter = counter + 1
  local id = prefix .. "-" .. tid .. "-" .. counter
  return wrk.format("POST", "%(path)s", headers, (template:gsub("__EVENT_ID__", id)))
end
function delay()
  return pause
end
function done(summary, latency, requests)
  io.write(string.format(
    '\\nWRK-JSON {"requests": %%d, "duration_us": %%d, "non_2xx": %%d, "socket_errors": %%d, '
    .. '"p50_us": %%d, "p95_us": %%d, "p99_us": %%d, "max_us": %%d}\\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def database_ensure() -> None:
    """Create the benchmark database if it is missing (the benchmarks migrate it)."""
    server, _, name = DATABASE_URL.rpartition("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@functools.cache
def wrk_ensure() -> str:
    """Find wrk, installing Debian's package when it is missing; say which."""
    found = shutil.which("wrk")
    if found:
        print(f"Load generator: {found} (already installed)")
        return found
    print("Load generator: wrk not found; installing Debian's wrk package with apt-get")
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk could not be installed; install it (apt-get install wrk) and rerun")
    return found


def wrk_run(*, url: str, path: str, body: str, token: str, seconds: int, connections: int,
            pause_ms: int = 0, prefix: str = "bench") -> dict:
    """One wrk run posting ``body`` with a unique ``__EVENT_ID__`` per request; returns its figures."""
    script = WRK_SCRIPT % {"prefix": prefix, "body": body, "token": token, "path": path, "pause_ms": pause_ms}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        completed = subprocess.run(
            [wrk_ensure(), "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", handle.name, url],
            check=True, capture_output=True, text=True, timeout=seconds + 60,
        )
    finally:
        os.unlink(handle.name)
    line = next(line for line in completed.stdout.splitlines() if line.startswith("WRK-JSON "))
    figures = json.loads(line.removeprefix("WRK-JSON "))
    seconds_taken = figures["duration_us"] / 1e6
    ok = figures["requests"] - figures["non_2xx"]
    return {
        "requests": figures["requests"],
        "accepted": ok,
        "non_2xx": figures["non_2xx"],
        "socket_errors": figures["socket_errors"],
        "seconds": round(seconds_taken, 2),
        "per_second": round(ok / seconds_taken, 1),
        "p50_ms": figures["p50_us"] / 1000,
        "p95_ms": figures["p95_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "max_ms": figures["max_us"] / 1000,
        "connections": connections,
    }


def peak_rss_mb(pid: int) -> float:
    """The process's high-water resident set (VmHWM), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text().split() if (task / "children").exists() else []
        found += [int(child) for child in text]
    return found


class Stack:
    """Processes started for one benchmark, stopped together."""

    def __init__(self, *, env: dict[str, str]):
        self.env = {**os.environ, **env}
        self.folder = Path(tempfile.mkdtemp(prefix="ee-connect-bench-"))
        self.processes: dict[str, subprocess.Popen] = {}

    def spawn(self, name: str, argv: list[str], **env) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(argv, cwd=ROOT, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = process
        return process

    def web(self, name: str, *, port: int, settings_module: str = "config.settings",
            workers: int | None = None, threads: int | None = None) -> str:
        """gunicorn as platform_run starts it; ``workers`` and ``threads``: another shape (the sink's)."""
        from demo.management.commands.platform_run import web_server_argv

        argv = web_server_argv(bind=f"127.0.0.1:{port}", workers=workers, threads=threads)
        self.spawn(name, argv, DJANGO_SETTINGS_MODULE=settings_module)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/status", timeout=1).status_code == 200:
                    return base
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"{name} did not start: {self.log(name)}")

    def worker(self, name: str, *, concurrency: int) -> None:
        self.spawn(name, [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "WARNING",
                          "--pool", "threads", "--concurrency", str(concurrency), "--hostname", f"{name}@%h",
                          "--without-mingle", "--without-gossip"])

    def beat(self) -> None:
        self.spawn("beat", [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "WARNING",
                            "--schedule", str(self.folder / "beat-schedule")])

    def pids(self) -> dict[str, int]:
        return {name: process.pid for name, process in self.processes.items()}

    def rss(self, name: str) -> float:
        """Peak RSS of a process, or of its largest child (gunicorn's workers)."""
        pid = self.processes[name].pid
        return max([peak_rss_mb(pid), *(peak_rss_mb(child) for child in children(pid))])

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()
        shutil.rmtree(self.folder, ignore_errors=True)
