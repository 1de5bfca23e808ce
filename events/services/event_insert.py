"""Storing an accepted event in one PostgreSQL statement.

``INSERT … ON CONFLICT DO NOTHING RETURNING id``: in autocommit one round trip and one commit, and
a repeat of an event already stored (the unique constraint on connector, direction and sender's
id) inserts nothing and raises nothing, so the request never has to roll back.

The statement is sent with server-side parameters (the body is not escaped into the SQL text) and
its text is the same for every event, so the driver prepares it on the connection after a few runs
(``DATABASE_PREPARE_THRESHOLD``) and PostgreSQL neither parses nor plans it again.
"""

import functools

from django.db import connection

from connectors.bulk import insert_fields, insert_values, server_side_execute
from events.models import Event

_EVENT_KEY = ("connector_id", "direction", "source_event_id")


@functools.cache
def _statement() -> str:
    fields = insert_fields(Event)
    columns = ", ".join(field.column for field in fields)
    values = ", ".join(f"%s::{field.db_type(connection)}" for field in fields)
    return (
        f"INSERT INTO {Event._meta.db_table} ({columns}) VALUES ({values}) "  # noqa: S608 - names from the model
        f"ON CONFLICT ({', '.join(_EVENT_KEY)}) DO NOTHING RETURNING id"
    )


def event_insert(event: Event, *, payload_text: str | None = None) -> bool:
    """Insert ``event``, setting its primary key. Returns False, inserting nothing, when the event
    is a repeat.

    ``payload_text``: the JSON text ``event.payload`` was parsed from, stored as received instead
    of being serialised again.
    """
    fields = insert_fields(Event)
    given = {"payload": payload_text} if payload_text is not None else None
    params = insert_values(event, fields, connection, given=given)
    with server_side_execute(connection, _statement(), params) as cursor:
        row = cursor.fetchone()
    if row is None:
        return False
    event.pk = row[0]
    event._state.adding = False
    return True
