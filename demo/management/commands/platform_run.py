"""Run the whole platform in one terminal: web server, one Celery worker and beat.

Migrates, sets up the demo, starts the three processes, prints where to go, and stops all of
them cleanly on Ctrl-C (or when any of them exits). This is the demo: what it starts runs with the
sandbox on unless SANDBOX_ENABLED says otherwise (it is off by default everywhere else).
"""

import os
import signal
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import environ
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


def web_server_argv(*, bind: str, workers: int | None = None, threads: int | None = None) -> list[str]:
    """gunicorn as the platform runs it (``WEB_CONCURRENCY`` processes of ``WEB_THREADS`` threads)."""
    return [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "config.wsgi", "--bind", bind,
            "--workers", str(workers or settings.WEB_CONCURRENCY), "--threads", str(threads or settings.WEB_THREADS),
            "--access-logfile", "-"]


def platform_env() -> dict[str, str]:
    """The environment of every process platform_run starts: this one's, with the sandbox on unless
    SANDBOX_ENABLED is set, and not empty (in the environment or .env)."""
    return {**os.environ, "SANDBOX_ENABLED": os.environ.get("SANDBOX_ENABLED") or "true"}


class Command(BaseCommand):
    help = "Migrate, set up the demo, and run the web server, a Celery worker and beat until Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-demo", action="store_true", help="Do not create or refresh the demo client.")
        parser.add_argument("--web-workers", type=int, help="gunicorn processes (default: WEB_CONCURRENCY).")

    def _processes(self, web_workers: int | None) -> dict[str, list[str]]:
        bind = urlsplit(settings.PUBLIC_BASE_URL).netloc or "127.0.0.1:8000"
        return {
            "web": web_server_argv(bind=bind, workers=web_workers),
            "worker": [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO",
                       "--concurrency", "2", "--hostname", "worker@%h"],
            "beat": [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
                     "--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME],
        }

    def handle(self, *args: Any, no_demo: bool, web_workers: int | None, **options: Any) -> None:
        env = platform_env()
        if not no_demo and env["SANDBOX_ENABLED"].lower() not in environ.Env.BOOLEAN_TRUE_STRINGS:
            raise CommandError("The demo needs the sandbox: set SANDBOX_ENABLED=true (or unset it), or pass --no-demo.")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(self.style.SUCCESS("Database ready."))
        children = {
            # own group: Ctrl-C is ours to relay
            name: subprocess.Popen(argv, start_new_session=True, env=env)
            for name, argv in self._processes(web_workers).items()
        }
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            time.sleep(2)
            # In a process of its own: this one read its settings before the sandbox was switched on.
            demo_setup = [sys.executable, str(settings.BASE_DIR / "manage.py"), "demo_setup"]
            if not no_demo and subprocess.run(demo_setup, env=env).returncode:
                raise CommandError("The demo could not be set up (see above).")
            self.stdout.write(self.style.SUCCESS(
                f"EE Connect is running at {settings.PUBLIC_BASE_URL}/admin/ — press Ctrl-C to stop."
            ))
            while not stopping:
                exited = [name for name, child in children.items() if child.poll() is not None]
                if exited:
                    self.stderr.write(f"{', '.join(exited)} stopped; stopping the others.")
                    break
                time.sleep(0.5)
        finally:
            self._stop(children)

    def _stop(self, children: dict[str, subprocess.Popen[bytes]]) -> None:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for name, child in children.items():
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"{name} did not stop in time; killing it.")
                child.kill()
                child.wait()
        self.stdout.write("Stopped.")
