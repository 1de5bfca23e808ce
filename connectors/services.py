"""Setting up clients and connectors, whatever the door (admin, management command, shell).

Every write validates the settings against the kind's schema with ``settings_validate`` and runs in
one transaction, so a refused save leaves the database as it was. Secret values are encrypted
before they reach the database and are never logged: logs name the keys that changed, not values.
"""

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings as django_settings
from django.db import transaction

from connectors.crypto import secrets_decrypt, secrets_encrypt
from connectors.kinds.base import ConnectorConfig, Kind
from connectors.kinds.registry import kind_get, kinds
from connectors.kinds.validation import SettingsInvalid, settings_validate
from connectors.models import Client, Connector
from connectors.revision_cache import RevisionCache

logger = logging.getLogger(__name__)


def _kind(key: str) -> Kind:
    try:
        return kind_get(key)
    except KeyError:
        known = ", ".join(kinds())
        raise SettingsInvalid({"kind": f"Unknown connector kind {key!r}; choose one of: {known}."}) from None


def _validate(
    connector: Connector,
    *,
    settings: dict[str, Any],
    secrets: dict[str, str],
    existing_secrets: dict[str, str],
) -> None:
    """Validate and apply settings and secrets to an unsaved connector; raise SettingsInvalid."""
    clean_settings, clean_secrets = settings_validate(
        _kind(connector.kind),
        settings=settings,
        secrets=secrets,
        existing_secrets=existing_secrets,
        sandbox_enabled=django_settings.SANDBOX_ENABLED,
    )
    connector.settings = clean_settings
    connector.secrets_encrypted = secrets_encrypt(clean_secrets)
    connector.full_clean(exclude=["created_by", "updated_by"], validate_unique=False)


@transaction.atomic
def client_create(*, name: str, slug: str, notes: str = "", user=None) -> Client:
    client = Client(name=name.strip(), slug=slug.strip(), notes=notes)
    client.full_clean()
    client.save()
    logger.info("client %s created by %s", client.slug, user)
    return client


@transaction.atomic
def connector_create(
    *,
    client: Client,
    kind: str,
    name: str,
    environment: str = "",
    settings: dict[str, Any],
    secrets: dict[str, str],
    user=None,
    max_attempts: int | None = None,
    rate_limit_per_second: int | None = None,
) -> Connector:
    _kind(kind)
    connector = Connector(
        client=client,
        kind=kind,
        name=name.strip(),
        environment=environment.strip(),
        max_attempts=max_attempts,
        rate_limit_per_second=rate_limit_per_second,
        created_by=user,
        updated_by=user,
    )
    _validate(connector, settings=settings, secrets=secrets, existing_secrets={})
    connector.save()
    logger.info("connector %s (%s) created for client %s by %s", connector.public_id, kind, client.slug, user)
    return connector


@transaction.atomic
def connector_update(
    *,
    connector: Connector,
    name: str | None = None,
    environment: str | None = None,
    settings: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
    secrets_cleared: Iterable[str] = (),
    user=None,
) -> Connector:
    """Change what is given; a blank or missing secret keeps the value already stored, unless it is
    in ``secrets_cleared`` (refused, naming the field, for a secret the kind requires)."""
    cleared = set(secrets_cleared)
    existing_secrets = {k: v for k, v in secrets_decrypt(connector.secrets_encrypted).items() if k not in cleared}
    if name is not None:
        connector.name = name.strip()
    if environment is not None:
        connector.environment = environment.strip()
    _validate(
        connector,
        settings=dict(connector.settings) if settings is None else settings,
        secrets=secrets or {},
        existing_secrets=existing_secrets,
    )
    connector.updated_by = user
    connector.save()
    replaced = sorted(k for k, v in (secrets or {}).items() if v and existing_secrets.get(k) != v)
    logger.info(
        "connector %s updated by %s; secrets replaced: %s; cleared: %s",
        connector.public_id, user, replaced, sorted(cleared),
    )
    return connector


@transaction.atomic
def connector_policy_set(
    *, connector: Connector, max_attempts: int | None, rate_limit_per_second: int | None, user=None
) -> Connector:
    """Set the delivery policy; None means the platform default (no rate limit)."""
    connector.max_attempts = max_attempts
    connector.rate_limit_per_second = rate_limit_per_second
    connector.updated_by = user
    connector.full_clean(exclude=["created_by", "updated_by"], validate_unique=False)
    connector.save(update_fields=["max_attempts", "rate_limit_per_second", "updated_by", "updated_at"])
    return connector


@transaction.atomic
def connector_state_set(*, connector: Connector, state: str, user=None) -> Connector:
    """Set active, paused or disabled. Releasing deliveries held while paused is the pipeline's job."""
    if state not in Connector.State.values:
        raise ValueError(f"Unknown state {state!r}; choose one of: {', '.join(Connector.State.values)}.")
    if connector.state != state:
        previous = connector.state
        connector.state = state
        connector.updated_by = user
        connector.save(update_fields=["state", "updated_by", "updated_at"])
        logger.info("connector %s %s → %s by %s", connector.public_id, previous, state, user)
    return connector


def connector_config(connector: Connector) -> ConnectorConfig:
    """What a kind may know of the connector, secrets decrypted."""
    return ConnectorConfig(
        connector_id=str(connector.public_id),
        settings=dict(connector.settings),
        secrets=secrets_decrypt(connector.secrets_encrypted),
        sandbox_enabled=django_settings.SANDBOX_ENABLED,
    )


# (id, updated_at, encrypted secrets, sandbox switch) → config.
_CONFIGS: RevisionCache[ConnectorConfig] = RevisionCache()


def connector_config_cached(connector: Connector) -> ConnectorConfig:
    """``connector_config`` for a connector just read from the database, without decrypting its
    secrets again on every request. Kinds must treat the config as read-only."""
    key = (connector.pk, connector.updated_at, connector.secrets_encrypted, django_settings.SANDBOX_ENABLED)
    return _CONFIGS.get(key, lambda: connector_config(connector))


def connector_urls(connector: Connector) -> dict[str, str]:
    """The webhook URLs handed to the client: ``in`` for the CDP, ``out`` for the loyalty engine."""
    base = django_settings.PUBLIC_BASE_URL.rstrip("/")
    return {
        "in": f"{base}/in/segment/{connector.public_id}",
        "out": f"{base}/out/segment/{connector.public_id}",
    }
