"""The webhook's hot path: who is calling, in one query.

One statement finds the connector by its public id, the live token that matches the presented
one (by its SHA-256, which the unique index finds: the secret's hash is the key, so the lookup's
timing tells nothing about the secret, as for GitHub's and Stripe's API keys), and the revision of
the connector's own mapping rules for the direction. Everything derived from those rows (the
decrypted config, the parsed rules) is kept per process under keys that change on every save.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from connectors.models import AuthToken, Connector
from connectors.tokens import token_hash
from events.rule_models import MappingRuleSet


@dataclass(frozen=True)
class Caller:
    connector: Connector | None  # None: no connector has this public id
    token: AuthToken | None  # the live, unexpired token that matches the presented one
    rule_set_id: int | None  # the connector's own rule set for the direction, if it has one
    rules_updated_at: datetime | None


def _lookup_sql() -> str:
    connector = Connector._meta.db_table
    token = AuthToken._meta.db_table
    rule_set = MappingRuleSet._meta.db_table
    return f"""
        SELECT c.*, t.id AS token_id, t.expires_at AS token_expires_at, t.last_used_at AS token_last_used_at,
               r.id AS rule_set_id, r.updated_at AS rules_updated_at
        FROM {connector} c
        LEFT JOIN {token} t
          ON t.connector_id = c.id AND t.direction = %s AND t.token_hash = %s AND t.revoked_at IS NULL
        LEFT JOIN {rule_set} r ON r.connector_id = c.id AND r.direction = %s
        WHERE c.public_id = %s
    """  # noqa: S608 - table names come from the models, values are parameters


def _datetime(value) -> datetime | None:
    """A joined column as the backend returns it (SQLite: naive UTC text) as an aware datetime."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def caller_find(*, public_id, direction: str, presented_token: str) -> Caller:
    public_id_value = Connector._meta.get_field("public_id").get_db_prep_value(public_id, connection)
    presented_hash = token_hash(presented_token) if presented_token else ""
    found = list(Connector.objects.raw(_lookup_sql(), [direction, presented_hash, direction, public_id_value]))
    if not found:
        return Caller(connector=None, token=None, rule_set_id=None, rules_updated_at=None)
    row = found[0]
    token = None
    expires_at = _datetime(row.token_expires_at)
    if row.token_id is not None and (expires_at is None or expires_at > timezone.now()):
        token = AuthToken(
            pk=row.token_id, connector=row, direction=direction,
            expires_at=expires_at, last_used_at=_datetime(row.token_last_used_at),
        )
    return Caller(
        connector=row, token=token, rule_set_id=row.rule_set_id, rules_updated_at=_datetime(row.rules_updated_at)
    )
