"""demo_setup (run by make run at every start): the demo logins keep their passwords after the
first run, each is in its group, and the output says how to reset them and which write key the
sandbox's Segment accepts."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from connectors.models import Connector
from connectors.sandbox import credentials
from connectors.services import connector_config
from core.groups import INTEGRATION_STAFF, SUPPORT

pytestmark = pytest.mark.django_db


def _run(settings, tmp_path, *args) -> str:
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("demo_setup", *args, stdout=out)
    return out.getvalue()


def _support_password(output: str) -> str:
    return re.search(r"login support / (\S+)", output).group(1)


def _user(username: str):
    return get_user_model().objects.get(username=username)


def test_the_first_run_creates_demo_in_integration_staff_and_support_in_support(settings, tmp_path):
    output = _run(settings, tmp_path)

    demo, support = _user("demo"), _user("support")
    assert "Integration staff: login demo / ee-connect-demo" in output
    assert (demo.check_password("ee-connect-demo"), demo.is_staff, demo.is_superuser) == (True, True, False)
    assert list(demo.groups.values_list("name", flat=True)) == [INTEGRATION_STAFF]
    # token_urlsafe(12): 12 random bytes are 16 url-safe characters.
    password = _support_password(output)
    assert (len(password), support.check_password(password), support.is_superuser) == (16, True, False)
    assert list(support.groups.values_list("name", flat=True)) == [SUPPORT]
    assert "(shown once; kept from now on)" in output


def test_a_second_run_keeps_both_passwords_and_says_how_to_reset_them(settings, tmp_path):
    first = _run(settings, tmp_path)
    demo = _user("demo")
    demo.set_password("chosen-by-the-user")
    demo.save()

    second = _run(settings, tmp_path)

    assert _user("demo").check_password("chosen-by-the-user")
    assert _user("support").check_password(_support_password(first))
    assert "ee-connect-demo" not in second and "login support /" not in second
    assert (
        "login demo (password kept; reset it with `manage.py demo_setup --reset-password` "
        "or `manage.py changepassword demo`)"
    ) in second
    assert "`manage.py changepassword support`" in second


def test_reset_password_sets_demo_back_and_gives_support_a_new_one(settings, tmp_path):
    first = _run(settings, tmp_path)
    demo = _user("demo")
    demo.set_password("forgotten-one")
    demo.save()

    reset = _run(settings, tmp_path, "--reset-password")

    new_support = _support_password(reset)
    assert new_support != _support_password(first)
    assert _user("demo").check_password("ee-connect-demo")
    support = _user("support")
    assert (support.check_password(new_support), support.check_password(_support_password(first))) == (True, False)


def test_an_explicit_password_is_set_on_the_demo_login_only(settings, tmp_path):
    first = _run(settings, tmp_path)

    output = _run(settings, tmp_path, "--password", "my-own-demo-pass")

    assert _user("demo").check_password("my-own-demo-pass")
    assert _user("support").check_password(_support_password(first))
    assert "login demo / my-own-demo-pass" in output


def test_a_demo_login_made_a_superuser_by_an_older_version_becomes_integration_staff(settings, tmp_path):
    get_user_model().objects.create_superuser("demo", "demo@example.com", "old-demo-pass")

    _run(settings, tmp_path)

    demo = _user("demo")
    assert (demo.is_superuser, demo.check_password("old-demo-pass")) == (False, True)
    assert list(demo.groups.values_list("name", flat=True)) == [INTEGRATION_STAFF]


def test_the_output_names_the_write_key_the_sandbox_segment_accepts(settings, tmp_path):
    output = _run(settings, tmp_path)

    assert "The sandbox's Segment accepts the write key sandbox-write-key." in output


def test_the_demo_everflow_connector_can_reject_a_refunded_conversion(settings, tmp_path):
    _run(settings, tmp_path)

    [everflow] = Connector.objects.filter(kind="segment_everflow")
    config = connector_config(everflow)

    assert config.settings["api_base_url"] == f"{settings.PUBLIC_BASE_URL}/sandbox/everflow/api"
    assert config.secrets["api_key"] == credentials.EVERFLOW_API_KEY


def test_one_way_demo_connectors_get_only_an_inbound_url_and_token(settings, tmp_path):
    output = _run(settings, tmp_path)

    everflow = Connector.objects.get(kind="segment_everflow")
    assert list(everflow.tokens.filter(revoked_at__isnull=True).values_list("direction", flat=True)) == ["in"]
    assert f"/out/segment/{everflow.public_id}" not in output
    assert f"/in/segment/{everflow.public_id}" in output
