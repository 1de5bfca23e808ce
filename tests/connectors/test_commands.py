import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError

from connectors.models import AuthToken, Client, Connector
from connectors.tokens import token_issue, token_verify
from core.crypto import secrets_decrypt
from tests.connectors.factories import AIR_SECRETS, AIR_SETTINGS, ClientFactory, ConnectorFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _air_pairs(**overrides) -> list[str]:
    values = {**AIR_SETTINGS, **AIR_SECRETS, **overrides}
    pairs = []
    for key, value in values.items():
        pairs += ["--set", f"{key}={str(value).lower() if isinstance(value, bool) else value}"]
    return pairs


def test_client_create_prints_the_new_client():
    out, _ = _run("client_create", "--name", "Shop", "--slug", "shop")

    client = Client.objects.get()
    assert (client.name, client.slug) == ("Shop", "shop")
    assert out == f"Created client shop (id {client.pk})\n"


def test_client_create_refuses_a_bad_slug():
    with pytest.raises(CommandError, match=r"^slug: "):
        _run("client_create", "--name", "Shop", "--slug", "not a slug")

    assert Client.objects.count() == 0


def test_connector_create_prints_the_id_and_both_urls(settings):
    settings.PUBLIC_BASE_URL = "https://connect.example.com"
    ClientFactory(slug="shop")

    args = ("connector_create", "--client", "shop", "--kind", "air_segment", "--name", "AIR")

    out, _ = _run(*args, *_air_pairs())

    connector = Connector.objects.get()
    assert out == (
        f"id: {connector.public_id}\n"
        f"in: https://connect.example.com/in/segment/{connector.public_id}\n"
        f"out: https://connect.example.com/out/segment/{connector.public_id}\n"
    )
    # The settings given, and the defaults of those not given (the repeat window is off).
    assert connector.settings == {**AIR_SETTINGS, "trigger_dedupe_window_seconds": 0}
    assert secrets_decrypt(connector.secrets_encrypted) == AIR_SECRETS


def test_connector_create_parses_mapping_values_as_json():
    ClientFactory(slug="shop")
    pairs = ["--set", "tracking_domain=https://track.example.com", "--set", "network_id=7"]
    pairs += ["--set", 'event_map={"Order Completed": 0}']

    _run("connector_create", "--client", "shop", "--kind", "segment_everflow", "--name", "EF", *pairs)

    assert Connector.objects.get().settings["event_map"] == {"Order Completed": 0}


def test_connector_create_refuses_what_the_admin_refuses():
    ClientFactory(slug="shop")

    args = ("connector_create", "--client", "shop", "--kind", "air_segment", "--name", "AIR")

    with pytest.raises(CommandError) as caught:
        _run(*args, *_air_pairs(currency="US", air_wallet_url="http://wallet.example.com"))

    assert str(caught.value) == (
        "air_wallet_url: Must use https:// "
        "(http:// is allowed only for 127.0.0.1 while the sandbox is enabled).; "
        "currency: 'US' is not an ISO 4217 currency code (three letters, such as USD or GBP)."
    )
    assert Connector.objects.count() == 0


def test_connector_create_refuses_bad_json_and_an_unknown_client():
    ClientFactory(slug="shop")

    with pytest.raises(CommandError, match=r"^event_map: not valid JSON"):
        _run("connector_create", "--client", "shop", "--kind", "segment_everflow", "--name", "EF",
             "--set", "event_map={nope")
    with pytest.raises(CommandError, match="No client with slug 'nobody'"):
        _run("connector_create", "--client", "nobody", "--kind", "air_segment", "--name", "AIR")

    assert Connector.objects.count() == 0


def test_connector_list_shows_id_client_kind_state_and_urls():
    connector = ConnectorFactory(client=ClientFactory(slug="shop"), state="paused", name="AIR")

    out, _ = _run("connector_list")

    base = "http://127.0.0.1:8000"
    assert out.splitlines() == [
        "id\tclient\tkind\tstate\tname\tin\tout",
        f"{connector.public_id}\tshop\tair_segment\tpaused\tAIR\t{base}/in/segment/{connector.public_id}"
        f"\t{base}/out/segment/{connector.public_id}",
    ]


def test_token_issue_prints_only_the_token():
    connector = ConnectorFactory()

    out, err = _run("token_issue", str(connector.public_id), "--direction", "in", "--label", "Segment")

    plaintext = out.removesuffix("\n")
    assert "\n" not in plaintext
    assert err == ""
    assert token_verify(connector=connector, direction="in", presented=plaintext).label == "Segment"


def test_token_issue_refuses_an_unknown_connector():
    with pytest.raises(CommandError, match="is not a connector id"):
        _run("token_issue", "42", "--direction", "in")
    with pytest.raises(CommandError, match="No connector with id"):
        _run("token_issue", "6f1c1b8e-9a7e-4a44-9d3c-3b8b2c1f0a11", "--direction", "in")

    assert AuthToken.objects.count() == 0


# 28 characters drawn at random once: a key a client generated.
CLIENT_KEY = "pV7#qL2x!Rn9@tK4wZ8^mD3sHf6B"


def test_token_issue_with_a_value_registers_the_clients_key_and_never_prints_it():
    connector = ConnectorFactory()

    out, err = _run("token_issue", str(connector.public_id), "--direction", "out", "--value", CLIENT_KEY)

    token = AuthToken.objects.get()
    assert out == f"Registered the client's out key as {token.prefix}\n"
    assert CLIENT_KEY not in out + err
    assert token_verify(connector=connector, direction="out", presented=CLIENT_KEY).pk == token.pk


def test_token_issue_reads_the_value_from_standard_input_with_a_dash(monkeypatch):
    connector = ConnectorFactory()
    monkeypatch.setattr("sys.stdin", StringIO(f"{CLIENT_KEY}\nnot read\n"))

    _run("token_issue", str(connector.public_id), "--direction", "in", "--value", "-", "--label", "Acme")

    assert token_verify(connector=connector, direction="in", presented=CLIENT_KEY).label == "Acme"


def test_token_issue_refuses_a_guessable_value_naming_the_option():
    connector = ConnectorFactory()

    with pytest.raises(CommandError) as refused:
        _run("token_issue", str(connector.public_id), "--direction", "in", "--value", "a" * 30)

    assert str(refused.value) == "--value: A client's key must not be one character repeated."
    assert AuthToken.objects.count() == 0


def test_token_issue_refuses_an_empty_standard_input(monkeypatch):
    connector = ConnectorFactory()
    monkeypatch.setattr("sys.stdin", StringIO(""))

    with pytest.raises(CommandError) as refused:
        _run("token_issue", str(connector.public_id), "--direction", "in", "--value", "-")

    assert str(refused.value) == "--value: A client's key must be at least 24 characters long; this one has 0."

    assert AuthToken.objects.count() == 0


OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def test_secrets_reencrypt_moves_every_secret_to_the_first_key_and_is_idempotent(settings):
    settings.ENCRYPTION_KEYS = [OLD_KEY]
    first, second = ConnectorFactory(), ConnectorFactory()
    ConnectorFactory(secrets={})  # nothing stored: not counted
    settings.ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    first.refresh_from_db()
    updated_at = first.updated_at

    out, _ = _run("secrets_reencrypt")
    again, _ = _run("secrets_reencrypt")

    assert out == "Re-encrypted the secrets of 2 connector(s) under the first key; 0 already were.\n"
    assert again == "Re-encrypted the secrets of 0 connector(s) under the first key; 2 already were.\n"
    settings.ENCRYPTION_KEYS = [NEW_KEY]  # the old key dropped, as the README's last step says
    for connector in (first, second):
        connector.refresh_from_db()
        assert secrets_decrypt(connector.secrets_encrypted) == AIR_SECRETS
    assert first.updated_at == updated_at


def test_secrets_reencrypt_names_the_connectors_no_key_decrypts_and_still_does_the_others(settings):
    settings.ENCRYPTION_KEYS = [OLD_KEY]
    lost = ConnectorFactory(name="Lost")
    settings.ENCRYPTION_KEYS = [NEW_KEY]
    kept = ConnectorFactory(name="Kept")
    lost_secrets = Connector.objects.get(pk=lost.pk).secrets_encrypted

    with pytest.raises(CommandError) as refused:
        _run("secrets_reencrypt")

    assert str(refused.value) == (
        f"1 connector(s) have secrets that no key in ENCRYPTION_KEYS decrypts: Lost (id {lost.pk}). "
        "Put back the key that encrypted them, or enter their secrets again in the admin."
    )
    assert Connector.objects.get(pk=lost.pk).secrets_encrypted == lost_secrets
    assert secrets_decrypt(Connector.objects.get(pk=kept.pk).secrets_encrypted) == AIR_SECRETS


def test_token_revoke_by_prefix():
    issued = token_issue(connector=ConnectorFactory(), direction="out")

    out, _ = _run("token_revoke", issued.token.prefix)

    assert out.startswith(f"Revoked token {issued.token.prefix}…")
    assert AuthToken.objects.get().revoked_at is not None


def test_token_revoke_of_an_unknown_prefix_fails():
    with pytest.raises(CommandError, match="No token with id or prefix 'eec_in_nothing'"):
        _run("token_revoke", "eec_in_nothing")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["token_issue", "x", "--direction", "in"], "CommandError: 'x' is not a connector id"),
        (["token_issue", "x", "--direction", "sideways"], "argument --direction: invalid choice"),
        (["connector_create", "--client", "x", "--kind", "unknown", "--name", "y"], "--kind: invalid"),
        (["connector_create", "--client", "x", "--kind", "air_segment"], "arguments are required: --name"),
    ],
)
def test_commands_exit_non_zero_with_the_error_on_stderr(args, message, tmp_path):
    env = {"EE_CONNECT_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}

    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode != 0
    assert result.stdout == ""
    assert message in result.stderr


COMMANDS = ["client_create", "connector_create", "connector_list", "token_issue", "token_revoke", "secrets_reencrypt"]


@pytest.mark.parametrize("command", [*COMMANDS, "groups_sync"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as caught:
        call_command(command, "--help")

    described = " ".join(load_command_class("connectors", command).help.split())
    assert caught.value.code == 0
    assert described in " ".join(capsys.readouterr().out.split())
