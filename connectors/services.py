"""Setting up clients and connectors, whatever the door (admin, management command, shell).

Every write validates the settings against the kind's schema with ``settings_validate`` and runs in
one transaction, so a refused save leaves the database as it was. Secret values are encrypted
before they reach the database and are never logged: logs name the keys that changed, not values.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, cast

import requests
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone

from connectors.kinds.base import ConnectorConfig, Kind
from connectors.kinds.registry import kind_get, kinds
from connectors.kinds.validation import SettingsInvalid, settings_validate
from connectors.kinds.voucherify_segment import schema as voucherify_schema
from connectors.kinds.voucherify_segment.metadata import (
    FETCHED_SETTING,
    SchemaUnavailable,
    voucherify_schema_read,
    voucherify_schema_request,
)
from connectors.models import Client, Connector
from core.crypto import SecretsUnreadable, secrets_decrypt, secrets_encrypt, secrets_rotate
from core.revision_cache import RevisionCache

if TYPE_CHECKING:  # for annotations only: who acted is whatever user the request carries
    from django.contrib.auth.models import AnonymousUser, User

    from connectors.kinds.voucherify_segment.schema import Send

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
def client_create(*, name: str, slug: str, notes: str = "", user: "User | AnonymousUser | None" = None) -> Client:
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
    user: "User | AnonymousUser | None" = None,
    max_attempts: int | None = None,
    rate_limit_per_second: int | None = None,
    destination_rate_per_second: int | None = None,
) -> Connector:
    _kind(kind)
    connector = Connector(
        client=client,
        kind=kind,
        name=name.strip(),
        environment=environment.strip(),
        max_attempts=max_attempts,
        rate_limit_per_second=rate_limit_per_second,
        destination_rate_per_second=destination_rate_per_second,
        # The API and the admin act only for a signed-in user: their permissions refuse anyone else.
        created_by=cast("User | None", user),
        updated_by=cast("User | None", user),
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
    user: "User | AnonymousUser | None" = None,
) -> Connector:
    """Change what is given; a blank or missing secret keeps the value already stored, unless it is
    in ``secrets_cleared`` (refused, naming the field, for a secret the kind requires)."""
    cleared = set(secrets_cleared)
    try:
        stored = secrets_decrypt(connector.secrets_encrypted)
    except SecretsUnreadable:
        stored = {}  # lost with the key that encrypted them: the required ones must be entered again
    existing_secrets = {k: v for k, v in stored.items() if k not in cleared}
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
    connector.updated_by = cast("User | None", user)  # the API and the admin act only for a signed-in user
    connector.save()
    replaced = sorted(k for k, v in (secrets or {}).items() if v and existing_secrets.get(k) != v)
    logger.info(
        "connector %s updated by %s; secrets replaced: %s; cleared: %s",
        connector.public_id, user, replaced, sorted(cleared),
    )
    return connector


def voucherify_metadata_schema_refresh(
    *, connector: Connector, user: "User | AnonymousUser | None" = None, send: "Send | None" = None
) -> dict[str, Any]:
    """Read the customer metadata schema from Voucherify and keep it on the connector (the admin's
    button; a Voucherify connector's translation reads what was kept, never Voucherify itself).

    Here and not in the kind, which may not use the database: the kind builds the request and
    reads the answer (``metadata``) and sends the GET (``schema``); this keeps the result with
    :func:`connector_update`, so the settings are validated as any other save. Returns what is
    kept (``{"read_at", "properties"}``); raises SchemaUnavailable saying why nothing changed.
    ``send`` defaults to ``schema.voucherify_schema_send``.
    """
    prepared = voucherify_schema_request(connector_config(connector))
    try:
        status, body = (send or voucherify_schema.voucherify_schema_send)(prepared)
    except requests.RequestException as error:
        raise SchemaUnavailable(f"Voucherify could not be reached at {prepared.url}: {error}") from error
    kept = {
        "read_at": timezone.now().isoformat(timespec="seconds"),
        "properties": voucherify_schema_read(status, body),
    }
    connector_update(connector=connector, settings={**connector.settings, FETCHED_SETTING: kept}, user=user)
    return kept


@transaction.atomic
def connector_policy_set(
    *,
    connector: Connector,
    max_attempts: int | None,
    rate_limit_per_second: int | None,
    destination_rate_per_second: int | None = None,
    user: "User | AnonymousUser | None" = None,
) -> Connector:
    """Set the delivery policy; None means the platform default (no rate limit)."""
    connector.max_attempts = max_attempts
    connector.rate_limit_per_second = rate_limit_per_second
    connector.destination_rate_per_second = destination_rate_per_second
    connector.updated_by = cast("User | None", user)  # the API and the admin act only for a signed-in user
    connector.full_clean(exclude=["created_by", "updated_by"], validate_unique=False)
    connector.save(
        update_fields=[
            "max_attempts", "rate_limit_per_second", "destination_rate_per_second", "updated_by", "updated_at"
        ]
    )
    return connector


class DeliveriesMoved(NamedTuple):
    """What a state change did to the connector's deliveries."""

    held: int = 0  # due deliveries held (paused, disabled)
    released: int = 0  # held deliveries made due again (active)


class StateDeliveries(Protocol):
    """Hold or release a connector's deliveries as its (just set) state says, in the caller's transaction."""

    def __call__(
        self, *, connector: Connector, user: "User | AnonymousUser | None", per_second: int
    ) -> DeliveriesMoved: ...


@dataclass(frozen=True)
class StateChange:
    connector: Connector
    previous: str  # the state before; the connector carries the new one
    held: int = 0
    released: int = 0

    @property
    def changed(self) -> bool:
        return self.previous != self.connector.state


_state_deliveries: StateDeliveries | None = None


def connector_state_deliveries_register(handler: StateDeliveries) -> None:
    """Name what holds and releases deliveries on a state change: the delivery log's
    ``events.delivery.connector_state.state_deliveries_apply``, registered at start-up by
    ``events.apps.EventsConfig.ready``. One handler, replaced (not added to) by a second call."""
    global _state_deliveries
    _state_deliveries = handler


@transaction.atomic
def connector_state_set(
    *, connector: Connector, state: str, user: "User | AnonymousUser | None" = None, per_second: int = 50
) -> StateChange:
    """Make a connector active, paused or disabled, and its deliveries follow, in one transaction.

    The only writer of ``Connector.state``: the connector admin's Pause/Disable/Enable, the console's
    Pause/Resume, the Config API's pause/resume/disable all call it, so none can change the state
    and forget the deliveries (Enable once left a paused connector's deliveries held). Paused or
    disabled holds what is due; active releases what is held, ``per_second`` a second. That runs
    even when the state is already the one asked for: Resume on an active connector releases what
    was held after it became active (secrets that could not be decrypted, an event received while
    the state changed).

    The deliveries are the delivery log's (``events``), a layer above this one, so it registers the
    handler that moves them (:func:`connector_state_deliveries_register`) rather than being
    imported here. One registered callable, called directly with a typed answer, is a plain call
    a reader can follow, not a Django signal with any number of receivers (STYLE.md: no signals for
    domain flow), and the counts come back so each door can say what it held or released.
    """
    if state not in Connector.State.values:
        raise ValueError(f"Unknown state {state!r}; choose one of: {', '.join(Connector.State.values)}.")
    if _state_deliveries is None:
        raise RuntimeError("No handler moves deliveries on a state change: is the events app installed?")
    previous = connector.state
    if previous != state:
        connector.state = state
        connector.updated_by = cast("User | None", user)  # the API and the admin act only for a signed-in user
        connector.save(update_fields=["state", "updated_by", "updated_at"])
    moved = _state_deliveries(connector=connector, user=user, per_second=per_second)
    if previous != state or any(moved):
        logger.info(
            "connector %s %s → %s by %s; deliveries held: %s, released: %s",
            connector.public_id, previous, state, user, moved.held, moved.released,
        )
    return StateChange(connector=connector, previous=previous, held=moved.held, released=moved.released)


SECRETS_UNREADABLE = (
    "The connector's secrets cannot be decrypted with ENCRYPTION_KEYS: held until the key that encrypted "
    "them is restored or its secrets are entered again in the admin (then resume the connector to release them)"
)


def connector_config(connector: Connector) -> ConnectorConfig:
    """What a kind may know of the connector, secrets decrypted.

    Secrets no key decrypts give a config without secrets that says so (``secrets_unreadable``):
    the pipeline still stores what arrives, and holds what it would send, with the reason.
    """
    try:
        secrets, unreadable = secrets_decrypt(connector.secrets_encrypted), ""
    except SecretsUnreadable:
        logger.error("connector %s: its secrets cannot be decrypted with ENCRYPTION_KEYS", connector.public_id)
        secrets, unreadable = {}, SECRETS_UNREADABLE
    return ConnectorConfig(
        connector_id=str(connector.public_id),
        settings=dict(connector.settings),
        secrets=secrets,
        sandbox_enabled=django_settings.SANDBOX_ENABLED,
        secrets_unreadable=unreadable,
    )


# (id, updated_at, encrypted secrets, sandbox switch) → config.
_CONFIGS: RevisionCache[ConnectorConfig] = RevisionCache()


def connector_config_cached(connector: Connector) -> ConnectorConfig:
    """``connector_config`` for a connector just read from the database, without decrypting its
    secrets again on every request. Kinds must treat the config as read-only."""
    key = (connector.pk, connector.updated_at, connector.secrets_encrypted, django_settings.SANDBOX_ENABLED)
    return _CONFIGS.get(key, lambda: connector_config(connector))


def connector_urls(connector: Connector) -> dict[str, str]:
    """The webhook URLs handed to the client: ``in`` for the CDP, ``out`` for the loyalty engine,
    for the directions the connector's kind has (a one-way kind's other URL answers 404)."""
    base = django_settings.PUBLIC_BASE_URL.rstrip("/")
    return {
        direction.value: f"{base}/{direction.value}/segment/{connector.public_id}"
        for direction in kind_get(connector.kind).directions
    }


@dataclass(frozen=True)
class Reencrypted:
    reencrypted: int  # rewritten under the first key
    current: int  # under the first key already: left as they were
    unreadable: list[Connector]  # no key decrypts them


def connector_secrets_reencrypt() -> Reencrypted:
    """Encrypt every connector's stored secrets under the first of ``ENCRYPTION_KEYS``.

    Idempotent: secrets already under the first key are not rewritten, so a second run reports
    them all as current. Each row is rewritten only if it still holds what was read, so a save in
    the admin at the same moment wins. ``updated_at`` is left alone: the values did not change.
    """
    reencrypted = current = 0
    unreadable: list[Connector] = []
    connectors = Connector.objects.exclude(secrets_encrypted="").only("pk", "public_id", "name", "secrets_encrypted")
    for connector in connectors.order_by("pk").iterator():
        try:
            rotated = secrets_rotate(connector.secrets_encrypted)
        except SecretsUnreadable:
            unreadable.append(connector)
            continue
        if rotated is None:
            current += 1
            continue
        changed = Connector.objects.filter(pk=connector.pk, secrets_encrypted=connector.secrets_encrypted).update(
            secrets_encrypted=rotated
        )
        reencrypted += changed
        current += 1 - changed  # saved meanwhile, so encrypted under the first key already
    logger.info("secrets re-encrypted: %s; current: %s; unreadable: %s", reencrypted, current, len(unreadable))
    return Reencrypted(reencrypted=reencrypted, current=current, unreadable=unreadable)


# Per process, (connector id, stored secrets) → whether ENCRYPTION_KEYS decrypt them. The keys only
# change with a restart, so an answer holds until the secrets themselves change.
_READABLE: dict[tuple[int, str], bool] = {}
READABLE_LIMIT = 4096


def connectors_secrets_unreadable() -> list[int]:
    """The ids of connectors whose stored secrets no key decrypts (for ``/readyz``).

    One query over the connectors table (a row per client integration: tens to hundreds), and a
    decryption only for secrets this process has not checked before, so a probe every few seconds
    decrypts nothing once warm.
    """
    unreadable: list[int] = []
    rows = Connector.objects.exclude(secrets_encrypted="").order_by("pk").values_list("pk", "secrets_encrypted")
    for pk, encrypted in rows.iterator():
        key = (pk, encrypted)
        if key not in _READABLE:
            if len(_READABLE) >= READABLE_LIMIT:
                _READABLE.clear()
            try:
                secrets_decrypt(encrypted)
                _READABLE[key] = True
            except SecretsUnreadable:
                _READABLE[key] = False
        if not _READABLE[key]:
            unreadable.append(pk)
    return unreadable
