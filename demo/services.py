"""The demo client: one connector of each kind, pointed at the sandbox upstreams, ready to send,
and two logins: ``demo`` in the Integration staff group, ``support`` in the Support group.

Idempotent: running it again updates the same client and connectors and replaces the demo
tokens (the old ones are revoked), so nothing is duplicated. The logins' passwords are set when
they are created and kept afterwards (``make run`` runs this at every start), unless a reset is
asked for.
"""

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from secrets import token_urlsafe
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.db import transaction

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get, kinds
from connectors.models import AuthToken, Client, Connector
from connectors.sandbox.upstreams import sandbox_site
from connectors.services import client_create, connector_create, connector_update, connector_urls
from connectors.tokens import token_issue, token_revoke
from core.groups import INTEGRATION_STAFF, SUPPORT, groups_sync

DEMO_LABEL = "demo"
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "ee-connect-demo"  # noqa: S105 - the documented demo login, set on its first run only
SUPPORT_USERNAME = "support"
SAMPLE_EVENT = "SERVICE.WALLET.ACCOUNTS.CREATE"


def demo_connectors() -> list[tuple[str, str, dict[str, Any], dict[str, str]]]:
    """(kind, name, settings, secrets) of each demo connector: the one each kind declares, pointed at
    the sandbox upstreams that play its partners."""
    site = sandbox_site(settings.PUBLIC_BASE_URL)
    declared = [(key, kind.sandbox_connector(site)) for key, kind in kinds().items() if kind.sandbox_connector]
    return [(key, connector.name, connector.settings, connector.secrets) for key, connector in declared]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    group: str
    password: str  # empty when the password was kept: it is shown only when set


@dataclass(frozen=True)
class Demo:
    logins: list[DemoLogin]
    client: Client
    connectors: list[Connector]
    tokens: dict[tuple[str, str], str]  # (kind, direction) → token, shown once
    sample_path: Path


def _login(username: str, group: str, *, password: str | None, first_password: str) -> tuple[DemoLogin, User]:
    """The login in exactly its group (a staff member, not a superuser: the demo shows what that
    group sees). Its password: ``password`` when given, ``first_password`` when the login is new,
    else the one it has."""
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@example.com"}
    )
    if password is None and created:
        password = first_password
    if password is not None:
        user.set_password(password)
    user.is_staff, user.is_superuser = True, False
    user.save()
    user.groups.set([Group.objects.get(name=group)])
    return DemoLogin(username, group, password or ""), user


def _connector(
    client: Client, kind: str, name: str, values: dict[str, Any], secrets: dict[str, str], user: User
) -> Connector:
    existing = Connector.objects.filter(client=client, kind=kind, name=name).first()
    if existing:
        return connector_update(connector=existing, settings=values, secrets=secrets, user=user)
    return connector_create(
        client=client, kind=kind, name=name, environment="Sandbox", settings=values, secrets=secrets, user=user
    )


def _tokens(connector: Connector, user: User) -> dict[str, str]:
    for old in AuthToken.objects.filter(connector=connector, label=DEMO_LABEL, revoked_at__isnull=True):
        token_revoke(prefix_or_id=str(old.pk))
    return {
        direction.value: token_issue(connector=connector, direction=direction, label=DEMO_LABEL, user=user).plaintext
        for direction in kind_get(connector.kind).directions
    }


def _sample_file(folder: Path) -> Path:
    """A fresh copy of the AIR sample notification, with a new event id so it is never a duplicate."""
    sample = json.loads(json.dumps(kind_get("air_segment").samples[Direction.OUT][SAMPLE_EVENT]))
    sample["headers"]["eesEventId"] = str(uuid.uuid4())
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "air-wallet-created.json"
    path.write_text(json.dumps(sample, indent=2))
    return path


@transaction.atomic
def demo_setup(*, sample_folder: Path, password: str | None = None, reset_passwords: bool = False) -> Demo:
    """``password``: the demo login's, set even if it exists. ``reset_passwords``: the demo login
    back to ``password`` or ``DEMO_PASSWORD``, the support login to a new random one."""
    groups_sync()  # the groups exist and grant what core/groups.py says, whatever ran before
    demo_login, user = _login(
        DEMO_USERNAME, INTEGRATION_STAFF, first_password=DEMO_PASSWORD,
        password=password or (DEMO_PASSWORD if reset_passwords else None),
    )
    support_password = token_urlsafe(12)  # shown once, when set
    support_login, _ = _login(
        SUPPORT_USERNAME, SUPPORT, first_password=support_password,
        password=support_password if reset_passwords else None,
    )
    client = Client.objects.filter(slug="demo").first() or client_create(
        name="Demo Retailer", slug="demo", notes="Created by the demo set-up; points at the sandbox.", user=user
    )
    connectors, tokens = [], {}
    for kind, name, values, secrets in demo_connectors():
        connector = _connector(client, kind, name, values, secrets, user)
        connectors.append(connector)
        for direction, plaintext in _tokens(connector, user).items():
            tokens[(kind, direction)] = plaintext
    return Demo([demo_login, support_login], client, connectors, tokens, _sample_file(sample_folder))


def demo_curl(demo: Demo) -> str:
    air = next(c for c in demo.connectors if c.kind == "air_segment")
    return (
        f"curl -sS -X POST {connector_urls(air)['out']} "
        f"-H 'Content-Type: application/json' -H 'X-Auth-Token: {demo.tokens[('air_segment', 'out')]}' "
        f"--data @{demo.sample_path}"
    )
