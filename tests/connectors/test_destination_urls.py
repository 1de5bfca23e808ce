"""Destination URLs are refused when saved if they reach a private network, whatever the door
(services here; the admin form calls the same ``settings_validate``). Connecting checks again
(tests/events/test_http.py): the name may resolve elsewhere by then."""

import socket

import pytest

from connectors.kinds.validation import SettingsInvalid, url_error
from connectors.models import Connector
from connectors.services import connector_create
from tests.connectors.factories import AIR_SECRETS, AIR_SETTINGS, ClientFactory


@pytest.fixture
def production(settings):
    settings.SANDBOX_ENABLED = False
    settings.OUTBOUND_ALLOW_LOOPBACK = False


@pytest.fixture
def resolver(monkeypatch):
    """Names that resolve to chosen addresses; every other name as the system says."""
    names: dict[str, str] = {}
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        return real(names.get(host, host), *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return names


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("https://169.254.169.254/latest", "Destination address 169.254.169.254 is link-local; refused."),
        ("https://127.0.0.1:8000", "Destination address 127.0.0.1 is loopback; refused."),
        ("https://[::1]:8000", "Destination address ::1 is loopback; refused."),
        ("https://10.1.2.3", "Destination address 10.1.2.3 is private; refused."),
        ("https://192.168.0.10", "Destination address 192.168.0.10 is private; refused."),
        ("https://0.0.0.0", "Destination address 0.0.0.0 is unspecified; refused."),
        ("https://[::]", "Destination address :: is unspecified; refused."),
        ("https://224.0.0.251", "Destination address 224.0.0.251 is multicast; refused."),
        ("https://240.0.0.1", "Destination address 240.0.0.1 is reserved; refused."),
        # 127.0.0.1 written in hex, as one decimal number and as IPv6: judged as the address it is
        ("https://0x7f000001", "Destination address 127.0.0.1 is loopback; refused (0x7f000001 resolves to it)."),
        ("https://2130706433", "Destination address 127.0.0.1 is loopback; refused (2130706433 resolves to it)."),
        ("https://[::ffff:127.0.0.1]", "Destination address 127.0.0.1 is loopback; refused."),
        ("https://[::127.0.0.1]", "Destination address ::7f00:1 is reserved; refused."),
    ],
)
def test_a_non_public_address_is_refused_in_production(production, url, error):
    assert url_error(url, sandbox_enabled=False) == error


def test_a_name_resolving_to_a_private_address_is_refused(production, resolver):
    resolver["wallet.internal.example"] = "10.0.0.5"

    assert url_error("https://wallet.internal.example", sandbox_enabled=False) == (
        "Destination address 10.0.0.5 is private; refused (wallet.internal.example resolves to it)."
    )


def test_a_name_resolving_to_a_public_address_or_not_resolving_yet_is_accepted(production, resolver):
    resolver["wallet.example"] = "93.184.215.14"

    assert url_error("https://wallet.example/api", sandbox_enabled=False) == ""
    assert url_error("https://not-yet.invalid", sandbox_enabled=False) == ""  # connecting checks again


@pytest.mark.parametrize(
    "url",
    ["https://wallet.example/a b", "https://wallet.example/\x00", "https://wallet.example\r\nX-Evil: 1", "https://wal\tlet.example"],
)
def test_spaces_and_control_characters_are_refused(production, url):
    assert url_error(url, sandbox_enabled=False) == "A URL cannot contain spaces or control characters."


def test_with_the_sandbox_loopback_is_allowed_and_other_private_addresses_are_not(settings):
    settings.SANDBOX_ENABLED = True
    settings.OUTBOUND_ALLOW_LOOPBACK = True

    assert url_error("http://127.0.0.1:8000/sandbox/air", sandbox_enabled=True) == ""
    assert url_error("https://[::1]:8000", sandbox_enabled=True) == ""
    assert url_error("https://10.0.0.5", sandbox_enabled=True) == "Destination address 10.0.0.5 is private; refused."


@pytest.mark.django_db
def test_saving_a_connector_with_a_private_url_is_refused_naming_the_field_and_nothing_is_stored(production):
    owner = ClientFactory()
    settings = {**AIR_SETTINGS, "air_wallet_url": "https://169.254.169.254", "segment_base_url": "https://api.segment.io"}

    with pytest.raises(SettingsInvalid) as caught:
        connector_create(client=owner, kind="air_segment", name="AIR", settings=settings, secrets=AIR_SECRETS)

    assert caught.value.errors == {"air_wallet_url": "Destination address 169.254.169.254 is link-local; refused."}
    assert Connector.objects.count() == 0


@pytest.mark.parametrize(("sandbox", "error"), [(True, ""), (False, "Destination address ::1 is loopback; refused.")])
def test_unset_the_loopback_allowance_follows_the_sandbox(settings, sandbox, error):
    settings.OUTBOUND_ALLOW_LOOPBACK = None
    settings.SANDBOX_ENABLED = sandbox

    assert url_error("https://[::1]:8000", sandbox_enabled=sandbox) == error
