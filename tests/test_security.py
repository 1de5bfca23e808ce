"""Admin login throttling, and the production settings that `manage.py check --deploy` asks for."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings

from tests.connectors.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "the-right-password-7"


def _login(client, username: str, password: str):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


@pytest.mark.django_db
def test_after_the_failure_limit_the_right_password_is_refused_too(client, settings):
    # given a staff login and a limit of 3 failures
    settings.AXES_FAILURE_LIMIT = 3
    user = UserFactory(username="ops", is_staff=True)
    user.set_password(PASSWORD)
    user.save()

    # when 3 wrong passwords are tried, then the right one
    wrong = [_login(client, "ops", f"guess-{n}").status_code for n in range(3)]
    right = _login(client, "ops", PASSWORD)

    # then the first 2 failures show the form again (200), the 3rd locks out (429), and so does the right password
    assert wrong == [200, 200, 429]
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    # 3 wrong passwords + the right one tried while locked out, which counts as one more
    assert AccessAttempt.objects.get(username="ops").failures_since_start == 4


@pytest.mark.django_db
def test_under_the_limit_the_right_password_logs_in_and_the_failures_are_forgotten(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = UserFactory(username="ops", is_staff=True)
    user.set_password(PASSWORD)
    user.save()

    failures = [_login(client, "ops", f"guess-{n}").status_code for n in range(2)]
    right = _login(client, "ops", PASSWORD)

    assert failures == [200, 200]
    assert (right.status_code, right["Location"]) == (302, "/admin/")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert not AccessAttempt.objects.filter(username="ops").exists()  # AXES_RESET_ON_SUCCESS


def test_the_default_is_five_failures_then_fifteen_minutes():
    assert (django_settings.AXES_FAILURE_LIMIT, django_settings.AXES_COOLOFF_TIME.total_seconds()) == (5, 900)


def _run(argv: list[str], tmp_path, **env: str) -> subprocess.CompletedProcess:
    """``manage.py`` in a fresh process whose environment has none of the platform's variables but ``env``."""
    clean = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    clean.update(EE_CONNECT_VAR_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "manage.py", *argv], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_the_deploy_check_is_clean_with_production_settings(tmp_path):
    production = {
        "DEBUG": "false",
        "SECRET_KEY": "k3Yf9-production-only-Qw7pZr2xVb8nM4tL6hJ1sD0aG5eC3uR9yT8iO2pW",
        "ALLOWED_HOSTS": "connect.example.com",
        "PUBLIC_BASE_URL": "https://connect.example.com",
    }

    checked = _run(["check", "--deploy", "--fail-level", "WARNING"], tmp_path, **production)

    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip() == "System check identified no issues (0 silenced)."


def test_the_embedded_default_has_no_sandbox_and_plain_http_cookies(tmp_path):
    code = (
        "from django.conf import settings as s; "
        "print(s.SANDBOX_ENABLED, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_SSL_REDIRECT)"
    )

    printed = _run(["shell", "--no-imports", "-c", code], tmp_path)

    # no environment at all: the sandbox is off; cookies work over http://127.0.0.1 (make run)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.split() == ["False", "False", "False", "0", "False"]
