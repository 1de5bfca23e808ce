"""Storing an event and its deliveries: both rows or neither, one implementation per database.

On PostgreSQL, one statement: a data-modifying ``WITH`` inserts the event and, from the id it
returns, the deliveries. One statement is atomic on its own, so in autocommit it is one round trip
and one commit instead of BEGIN, two INSERTs and COMMIT, with the same guarantee. A repeat of an
event already stored (the unique constraint on connector, direction and sender's id) inserts
nothing.

The statement is sent with server-side parameters (the body is not escaped into the SQL text) and
its text is the same for every event with the same number of deliveries, so the driver prepares
it on the connection after a few runs (``DATABASE_PREPARE_THRESHOLD``) and PostgreSQL neither
parses nor plans it again.

With a ``guard`` (a remembered caller, ``events.intake.callers``) the same statement first checks
that the caller still holds and inserts nothing if it does not, so the webhook needs no lookup of
its own: one round trip per event.

Elsewhere (SQLite, the embedded default), the ORM in one transaction: a common table expression
in SQLite is a ``SELECT``, never an ``INSERT``, so the statement cannot serve there; a transaction
of two INSERTs gives the same guarantee. Callers are remembered only on
PostgreSQL, so a guard never reaches this path; if one did, it would be answered as a caller that
changed (looked up again), never trusted unchecked.
"""

import functools

from django.db import IntegrityError, connection, transaction

from core.bulk import insert_fields, insert_values, server_side_execute
from events.intake.callers import Caller, CallerChanged, caller_guard_sql
from events.models import Delivery, Event

_EVENT_KEY = ("connector_id", "direction", "source_event_id")


def _values(fields: tuple, *, ordinal: int | None = None) -> str:
    casts = [f"%s::{field.db_type(connection)}" for field in fields]
    return ", ".join(([str(ordinal)] if ordinal is not None else []) + casts)


@functools.cache
def _statement(delivery_count: int, *, guarded: bool) -> str:
    """The statement for an event with ``delivery_count`` deliveries (built once per count); its
    row says the event's id (None: a repeat, or the guard failed), the deliveries' and the guard's."""
    event_fields = insert_fields(Event)
    columns = ", ".join(field.column for field in event_fields)
    sql = (
        f"WITH caller AS (SELECT {caller_guard_sql() if guarded else 'true'} AS holds), "  # noqa: S608 - names from the models
        f"event AS (INSERT INTO {Event._meta.db_table} ({columns}) "
        f"SELECT {_values(event_fields)} FROM caller WHERE caller.holds "
        f"ON CONFLICT ({', '.join(_EVENT_KEY)}) DO NOTHING RETURNING id)"
    )
    if not delivery_count:
        return sql + " SELECT (SELECT id FROM event), ARRAY[]::bigint[], (SELECT holds FROM caller)"  # noqa: S608
    delivery_fields = insert_fields(Delivery, skip=("event_id",))
    names = [field.column for field in delivery_fields]
    rows = ", ".join(f"({_values(delivery_fields, ordinal=number)})" for number in range(delivery_count))
    deliveries_sql = (
        f", delivery AS (INSERT INTO {Delivery._meta.db_table} (event_id, {', '.join(names)}) "  # noqa: S608
        f"SELECT event.id, {', '.join(f'v.{name}' for name in names)} "
        f"FROM event, (VALUES {rows}) AS v(ordinal, {', '.join(names)}) ORDER BY v.ordinal RETURNING id) "
        "SELECT (SELECT id FROM event), ARRAY(SELECT id FROM delivery ORDER BY id), (SELECT holds FROM caller)"
    )
    return sql + deliveries_sql


def event_insert_statement(
    event: Event, deliveries: list[Delivery], *, payload_text: str | None = None, guard: Caller | None = None
) -> tuple[str, list]:
    """The statement that inserts ``event`` and ``deliveries``, and its parameters (see ``event_insert``)."""
    event_fields = insert_fields(Event)
    given = {"payload": payload_text} if payload_text is not None else None
    params = guard.guard_params(event.direction) if guard is not None else []
    params += insert_values(event, event_fields, connection, given=given)
    delivery_fields = insert_fields(Delivery, skip=("event_id",))
    for delivery in deliveries:
        params += insert_values(delivery, delivery_fields, connection)
    return _statement(len(deliveries), guarded=guard is not None), params


def event_inserted(event: Event, deliveries: list[Delivery], row: tuple) -> bool:
    """Apply the statement's ``row`` to ``event`` and ``deliveries``: their primary keys, or
    False for a repeat; ``CallerChanged`` when the guard did not hold."""
    event_id, delivery_ids, holds = row
    if not holds:
        raise CallerChanged
    if event_id is None:
        return False
    event.pk = event_id
    event._state.adding = False
    for delivery, delivery_id in zip(deliveries, delivery_ids, strict=True):
        delivery.pk = delivery_id
        delivery.event_id = event_id
        delivery._state.adding = False
    return True


def _event_insert_orm(event: Event, deliveries: list[Delivery], *, guard: Caller | None = None) -> bool:
    """``event_insert`` off PostgreSQL: the ORM's two INSERTs in one transaction (a savepoint
    inside an outer one), rolled back together when the event is a repeat."""
    if guard is not None:
        raise CallerChanged  # unchecked here (see the module's docstring): looked up again instead
    try:
        with transaction.atomic():
            event.save(force_insert=True)
            Delivery.objects.bulk_create(deliveries)
    except IntegrityError:
        return False
    return True


def event_insert(
    event: Event, deliveries: list[Delivery], *, payload_text: str | None = None, guard: Caller | None = None
) -> bool:
    """Insert ``event`` and ``deliveries`` (whose ``event`` is ``event``) atomically, setting their
    primary keys. Returns False, inserting nothing, when the event is a repeat.

    ``payload_text``: the JSON text ``event.payload`` was parsed from, stored as received instead
    of being serialised again (PostgreSQL; elsewhere the payload is serialised). ``guard``: a
    remembered caller that must still hold, else nothing is inserted and ``CallerChanged`` is raised.
    """
    if connection.vendor != "postgresql":
        return _event_insert_orm(event, deliveries, guard=guard)
    sql, params = event_insert_statement(event, deliveries, payload_text=payload_text, guard=guard)
    with server_side_execute(connection, sql, params) as cursor:
        row = cursor.fetchone()
    return event_inserted(event, deliveries, row)
