import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command, load_command_class

from connectors.sandbox.models import SandboxBehaviour, SandboxRequest


def _run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_sandbox_behaviour_sets_and_prints_the_behaviour():
    printed = _run(
        "sandbox_behaviour", "segment", "--status", "429", "--fail-first", "2", "--retry-after", "3"
    )

    assert json.loads(printed) == {
        "upstream": "segment",
        "status": 429,
        "delay_ms": 0,
        "fail_first": 2,
        "failures_served": 0,
        "retry_after": 3,
    }


@pytest.mark.django_db
def test_sandbox_behaviour_reset_restores_normal_service():
    _run("sandbox_behaviour", "air", "--status", "500", "--delay-ms", "10")

    printed = json.loads(_run("sandbox_behaviour", "air", "--reset"))

    assert (printed["status"], printed["delay_ms"]) == (None, 0)
    assert SandboxBehaviour.objects.get(upstream="air").respond_status is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("air",), "Give --status, --delay-ms, --fail-first, --retry-after or --reset."),
        (("air", "--reset", "--status", "500"), "--reset cannot be combined with other options."),
        (("air", "--status", "99"), "status must be a whole number between 100 and 599, not 99."),
    ],
)
def test_sandbox_behaviour_refuses_bad_options(args, message):
    with pytest.raises(CommandError, match=message):
        _run("sandbox_behaviour", *args)

    assert SandboxBehaviour.objects.count() == 0


def test_sandbox_behaviour_refuses_an_unknown_upstream():
    with pytest.raises(CommandError, match="invalid choice: 'mailchimp'"):
        _run("sandbox_behaviour", "mailchimp", "--reset")


def test_sandbox_behaviour_help_describes_every_option():
    out = StringIO()
    command = load_command_class("connectors.sandbox", "sandbox_behaviour")
    command.create_parser("manage.py", "sandbox_behaviour").print_help(file=out)

    for option in ("--status", "--delay-ms", "--fail-first", "--retry-after", "--reset"):
        assert option in out.getvalue()


@pytest.mark.django_db
def test_sandbox_received_prints_json_and_clear_forgets(client):
    client.get("/sandbox/everflow/?nid=1&transaction_id=t-1")

    printed = json.loads(_run("sandbox_received", "everflow"))
    cleared = _run("sandbox_received", "everflow", "--clear")

    assert [r["query"]["transaction_id"] for r in printed["requests"]] == ["t-1"]
    assert cleared == "Cleared what the everflow sandbox received.\n"
    assert SandboxRequest.objects.count() == 0
