"""platform_run is the demo: what it starts runs with the sandbox on, unless SANDBOX_ENABLED says no."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from demo.management.commands import platform_run
from demo.management.commands.platform_run import platform_env


def test_the_processes_it_starts_have_the_sandbox_on_when_nothing_says_otherwise(monkeypatch):
    monkeypatch.delenv("SANDBOX_ENABLED", raising=False)
    monkeypatch.setenv("WEB_THREADS", "3")

    env = platform_env()

    assert (env["SANDBOX_ENABLED"], env["WEB_THREADS"]) == ("true", "3")


def test_an_empty_sandbox_setting_counts_as_unset(monkeypatch):
    monkeypatch.setenv("SANDBOX_ENABLED", "")

    assert platform_env()["SANDBOX_ENABLED"] == "true"


def test_a_sandbox_switched_off_on_purpose_stays_off(monkeypatch):
    monkeypatch.setenv("SANDBOX_ENABLED", "false")

    assert platform_env()["SANDBOX_ENABLED"] == "false"


def test_the_demo_with_the_sandbox_switched_off_is_refused_before_anything_starts(monkeypatch):
    monkeypatch.setenv("SANDBOX_ENABLED", "false")
    started = []
    monkeypatch.setattr(platform_run.subprocess, "Popen", lambda *args, **kwargs: started.append(args))
    monkeypatch.setattr(platform_run, "call_command", lambda *args, **kwargs: started.append(args))

    with pytest.raises(CommandError, match=r"The demo needs the sandbox: set SANDBOX_ENABLED=true \(or unset it\)"):
        call_command("platform_run")

    assert started == []
