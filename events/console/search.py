"""What support searches by, beyond an event's own identity and sender's id: any identity of the
customer (card number, mobile, customer id: ``context.identities``), the wallet, the AIR order or
transaction reference, and the Segment ``messageId`` of a message the platform sent (inside a
delivery's body).

On PostgreSQL each is one probe of a GIN index over a small JSON array of those values
(migration ``0014_search_keys``): on 500,000 AIR events, 57 MB of index answer a card number in
0.1 ms where reading the table took 5.4 s; storing an event costs about 35 µs more. The array is
built from the row by the same expression in the index and in the query, so nothing has to be
filled at intake. Elsewhere (the embedded SQLite) the same values are read from every row: slower,
and the same answers.
"""

from django.db import connection

from events.models import Delivery, Event

# The expressions the GIN indexes are built on; a query must use them verbatim to be answered
# from the index (0014_search_keys creates the indexes with these texts).
EVENT_KEYS_SQL = (
    "(jsonb_path_query_array(context, '$.identities.*')"
    " || jsonb_path_query_array(context, '$.wallet_id')"
    " || jsonb_path_query_array(context, '$.wallet_transaction_reference')"
    " || jsonb_path_query_array(context, '$.transaction.reference')"
    " || jsonb_path_query_array(context, '$.transaction.original_reference'))"
)
DELIVERY_MESSAGE_IDS_SQL = (
    "(jsonb_path_query_array(body, '$.batch[*].messageId') || jsonb_path_query_array(body, '$.messageId'))"
)
_SQLITE_EVENT_KEYS = (
    "EXISTS (SELECT 1 FROM json_each(context, '$.identities') WHERE value = %s)"
    " OR json_extract(context, '$.wallet_id') = %s"
    " OR json_extract(context, '$.wallet_transaction_reference') = %s"
    " OR json_extract(context, '$.transaction.reference') = %s"
    " OR json_extract(context, '$.transaction.original_reference') = %s"
)
_SQLITE_MESSAGE_IDS = (
    "EXISTS (SELECT 1 FROM json_each(body, '$.batch') WHERE json_extract(value, '$.messageId') = %s)"
    " OR json_extract(body, '$.messageId') = %s"
)


def _ids(table: str, where: str, params: list[str], limit: int, column: str = "id") -> list[int]:
    sql = f"SELECT {column} FROM {table} WHERE {where} LIMIT %s"  # noqa: S608 - names from the models
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return [row[0] for row in cursor.fetchall()]


def _postgres_match(expression: str, term: str) -> tuple[str, list[str]]:
    """Containment of the term as a JSON string, and as a number when it is one (a wallet id
    sent as a number): each is answered by the index."""
    where, params = f"{expression} @> jsonb_build_array(%s::text)", [term]
    if term.isdigit():
        where, params = f"({where} OR {expression} @> jsonb_build_array(%s::numeric))", [term, term]
    return where, params


def events_by_keys(*, term: str, limit: int) -> list[int]:
    """Ids of events whose identities, wallet id or transaction references include ``term``."""
    table = Event._meta.db_table
    if connection.vendor == "postgresql":
        return _ids(table, *_postgres_match(EVENT_KEYS_SQL, term), limit)
    return _ids(table, f"({_SQLITE_EVENT_KEYS})", [term] * 5, limit)


def events_by_message_id(*, term: str, limit: int) -> list[int]:
    """Ids of the events whose deliveries carry a message with ``term`` as its messageId."""
    table = Delivery._meta.db_table
    if connection.vendor == "postgresql":
        where, params = f"{DELIVERY_MESSAGE_IDS_SQL} @> jsonb_build_array(%s::text)", [term]
    else:
        where, params = f"({_SQLITE_MESSAGE_IDS})", [term, term]
    return _ids(table, where, params, limit, column="event_id")
