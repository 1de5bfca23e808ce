"""The webhook's hot path: who is calling, in one small query, or in none.

One statement finds the connector by its public id, the live token that matches the presented
one (by its SHA-256, which the unique index finds: the secret's hash is the key, so the lookup's
timing tells nothing about the secret, as for GitHub's and Stripe's API keys), and the revision of
the connector's own mapping rules for the direction. It reads only ids and revisions: the
connector itself, its decrypted config and its parsed rules are kept per process under keys that
change on every save (``updated_at``, ``state``), so an edit applies to the very next webhook and a
revoked token is refused at once, while an unchanged connector costs no more than this one query.

On PostgreSQL even that query is saved for a caller seen before: a process remembers the callers
it accepted (by connector, direction and the presented token's hash) with their revisions, and
the event's insert checks in the same statement that they still hold (``caller_guard_sql``: the
connector, its state and its rules unchanged, the token neither revoked nor expired). If one does
not, the statement inserts nothing and the webhook is answered again from a fresh lookup, so a
change still applies to the very next webhook.
"""

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from connectors.models import AuthToken, Connector
from connectors.tokens import token_hash
from core.bulk import server_side_execute
from core.revision_cache import RevisionCache
from events.rule_models import MappingRuleSet

Answer = TypeVar("Answer")

# (id, updated_at, state) → the connector; None once it is deleted.
_CONNECTORS: RevisionCache[Connector | None] = RevisionCache()


@dataclass(frozen=True)
class Caller:
    connector: Connector | None  # None: no connector has this public id
    token: AuthToken | None  # the live, unexpired token that matches the presented one
    rule_set_id: int | None  # the connector's own rule set for the direction, if it has one
    rules_updated_at: datetime | None

    @property
    def revision(self) -> tuple:
        """What the insert's guard checks: equal revisions, the same caller as far as a webhook goes."""
        connector, token = self.connector, self.token
        return (
            connector and (connector.pk, connector.updated_at, connector.state),
            token and (token.pk, token.expires_at),
            self.rule_set_id,
            self.rules_updated_at,
        )

    def guard_params(self, direction: str) -> list:
        """The parameters of ``caller_guard_sql()`` for this caller."""
        connector, token = self.connector, self.token
        token_id = token.pk if token else None
        return [connector.pk, connector.updated_at, connector.state, token_id, token_id, direction,
                self.rules_updated_at]


NOBODY = Caller(connector=None, token=None, rule_set_id=None, rules_updated_at=None)


class CallerChanged(Exception):
    """The remembered caller no longer holds (edited, disabled, revoked, expired): nothing was stored."""


# (connector public id, direction, token hash) → the caller last accepted with them.
_REMEMBERED: dict[tuple, Caller] = {}
REMEMBERED_LIMIT = 1024


def _tables() -> tuple[str, str, str]:
    return Connector._meta.db_table, AuthToken._meta.db_table, MappingRuleSet._meta.db_table


@functools.cache
def _lookup_sql() -> str:
    connector, token, rule_set = _tables()
    return f"""
        SELECT c.id, c.updated_at, c.state, t.id, t.expires_at, t.last_used_at, r.id, r.updated_at
        FROM {connector} c
        LEFT JOIN {token} t
          ON t.connector_id = c.id AND t.direction = %s AND t.token_hash = %s AND t.revoked_at IS NULL
        LEFT JOIN {rule_set} r ON r.connector_id = c.id AND r.direction = %s
        WHERE c.public_id = %s
    """  # noqa: S608 - table names come from the models, values are parameters


@functools.cache
def caller_guard_sql() -> str:
    """True while a remembered caller still holds; PostgreSQL only (parameters: ``guard_params``)."""
    connector, token, rule_set = _tables()
    return f"""
        EXISTS (SELECT 1 FROM {connector} c
                WHERE c.id = %s::bigint AND c.updated_at = %s::timestamptz AND c.state = %s::text
                  AND (%s::bigint IS NULL OR EXISTS (
                      SELECT 1 FROM {token} t WHERE t.id = %s::bigint AND t.revoked_at IS NULL
                      AND (t.expires_at IS NULL OR t.expires_at > now())))
                  AND (SELECT r.updated_at FROM {rule_set} r WHERE r.connector_id = c.id AND r.direction = %s::text)
                      IS NOT DISTINCT FROM %s::timestamptz)
    """  # noqa: S608 - table names come from the models, values are parameters


def _datetime(value) -> datetime | None:
    """A column as the backend returns it (SQLite: naive UTC text) as an aware datetime."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def _row(params: list):
    if connection.vendor == "postgresql":  # prepared on the connection after a few runs, like the event insert
        with server_side_execute(connection, _lookup_sql(), params) as cursor:
            return cursor.fetchone()
    with connection.cursor() as cursor:
        cursor.execute(_lookup_sql(), params)
        return cursor.fetchone()


def _remembered_key(public_id, direction: str, presented_token: str) -> tuple:
    return (str(public_id), direction, token_hash(presented_token) if presented_token else "")


def caller_remembered(*, public_id, direction: str, presented_token: str) -> Caller | None:
    """The caller this process last accepted with these credentials (whether it still holds, the
    insert checks); None off PostgreSQL, where the insert cannot check it (``caller_guard_sql``)."""
    if connection.vendor != "postgresql":
        return None
    return _REMEMBERED.get(_remembered_key(public_id, direction, presented_token))


def caller_remember(caller: Caller, *, public_id, direction: str, presented_token: str) -> None:
    """Remember a caller whose webhook was accepted (bounded: when full, start again empty)."""
    if connection.vendor != "postgresql" or caller.connector is None:
        return
    if len(_REMEMBERED) >= REMEMBERED_LIMIT:
        _REMEMBERED.clear()
    _REMEMBERED[_remembered_key(public_id, direction, presented_token)] = caller


def caller_forget(*, public_id, direction: str, presented_token: str) -> None:
    _REMEMBERED.pop(_remembered_key(public_id, direction, presented_token), None)


def caller_find(*, public_id, direction: str, presented_token: str) -> Caller:
    public_id_value = Connector._meta.get_field("public_id").get_db_prep_value(public_id, connection)
    presented_hash = token_hash(presented_token) if presented_token else ""
    row = _row([direction, presented_hash, direction, public_id_value])
    if row is None:
        return NOBODY
    connector_id, updated_at, state, token_id, expires_at, last_used_at, rule_set_id, rules_updated_at = row
    # The connector as last saved, read once per process and revision.
    connector = _CONNECTORS.get(
        (connector_id, _datetime(updated_at), state), lambda: Connector.objects.filter(pk=connector_id).first()
    )
    if connector is None:
        return NOBODY
    token = None
    expires_at = _datetime(expires_at)
    if token_id is not None and (expires_at is None or expires_at > timezone.now()):
        token = AuthToken(
            pk=token_id, connector=connector, direction=direction,
            expires_at=expires_at, last_used_at=_datetime(last_used_at),
        )
    return Caller(
        connector=connector, token=token, rule_set_id=rule_set_id, rules_updated_at=_datetime(rules_updated_at)
    )


def caller_answer(
    *,
    public_id: uuid.UUID,
    direction: str,
    presented_token: str,
    answer: Callable[[Caller, bool], Answer],
    accepted: Callable[[Answer], bool],
) -> Answer:
    """``answer(caller, remembered)`` for whoever presents these credentials; a caller whose
    answer is ``accepted`` is remembered for the next time.

    A remembered caller is answered without a lookup (``remembered``: the insert checks that it
    still holds). If it no longer holds (``CallerChanged``: nothing was stored), or it was refused
    and a lookup shows it changed meanwhile, it is forgotten and answered again as a caller never
    seen, so a change applies to the very next webhook.
    """
    remembered = caller_remembered(public_id=public_id, direction=direction, presented_token=presented_token)
    if remembered is not None:
        try:
            answered = answer(remembered, True)
            if accepted(answered) or (
                caller_find(public_id=public_id, direction=direction, presented_token=presented_token).revision
                == remembered.revision
            ):
                return answered
        except CallerChanged:
            pass
        caller_forget(public_id=public_id, direction=direction, presented_token=presented_token)
    caller = caller_find(public_id=public_id, direction=direction, presented_token=presented_token)
    answered = answer(caller, False)
    if accepted(answered):
        caller_remember(caller, public_id=public_id, direction=direction, presented_token=presented_token)
    return answered
