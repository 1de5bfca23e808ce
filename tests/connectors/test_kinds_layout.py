"""Every kind's folder is laid out alike (connectors/kinds/__init__.py), and the sandbox upstreams a
kind names are the sandbox's."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

import connectors.kinds
from connectors.kinds.registry import kinds
from connectors.kinds.validation import settings_validate
from connectors.sandbox.upstreams import sandbox_site, upstream_get, upstreams

KINDS_DIR = Path(connectors.kinds.__file__).parent
KEYS = list(kinds())


@pytest.mark.parametrize("key", KEYS)
def test_a_kind_lives_in_the_folder_its_key_names_with_a_module_per_job(key):
    folder = KINDS_DIR / key
    modules = {path.name for path in folder.iterdir()}

    assert kinds()[key].key == folder.name
    assert {"__init__.py", "fields.py", "client.py"} <= modules
    assert "samples.py" in modules or (folder / "samples" / "__init__.py").exists()
    assert any(name.startswith("build") and name.endswith(".py") for name in modules)


@pytest.mark.parametrize("key", KEYS)
def test_a_kind_names_the_sandbox_upstreams_that_play_its_partners_each_played_by_its_module(key):
    kind = kinds()[key]

    assert kind.sandbox_upstreams
    for name in kind.sandbox_upstreams:
        routes = [str(pattern.pattern).removeprefix("^") for pattern in upstreams()[name].urls]
        assert upstreams()[name].name == name
        assert routes and all(route.startswith(name) for route in routes)


@pytest.mark.django_db
def test_the_sandbox_upstreams_are_those_the_kinds_name_and_each_answers_under_its_name(client, settings):
    settings.SANDBOX_ENABLED = True
    named = {name for kind in kinds().values() for name in kind.sandbox_upstreams}

    assert set(upstreams()) == named
    for name in named:
        assert client.get(f"/sandbox/{name}/received").json()["upstream"] == name


@pytest.mark.parametrize("name", ["nowhere", "views"], ids=["no-module", "module-without-upstream"])
def test_an_upstream_a_kind_names_without_its_module_is_refused_naming_the_module(name):
    with pytest.raises(ImproperlyConfigured, match=f"connectors/sandbox/{name}.py must declare UPSTREAM"):
        upstream_get(name)


@pytest.mark.parametrize("key", KEYS)
def test_a_kinds_sandbox_connector_points_only_at_its_upstreams_and_has_valid_settings(key):
    # given the sandbox answering at the platform's address
    kind = kinds()[key]
    site = sandbox_site("http://127.0.0.1:8000")

    # when the kind points a connector at it
    assert kind.sandbox_connector is not None
    connector = kind.sandbox_connector(site)

    # then every URL it holds is one of its upstreams', and its settings and secrets are complete
    urls = [value for value in connector.settings.values() if isinstance(value, str) and "://" in value]
    mine = tuple(site.urls[name] for name in kind.sandbox_upstreams)
    assert urls and all(url.startswith(mine) for url in urls)
    settings_validate(
        kind, settings=connector.settings, secrets=connector.secrets, existing_secrets={}, sandbox_enabled=True
    )
