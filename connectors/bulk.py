"""Inserting many rows of large text or JSON in one round trip.

On PostgreSQL, Django's ``bulk_create`` passes each column as one array literal built on the
client, which escapes every quote of every JSON body with a regular expression: for a batch of
Segment messages or delivery attempts that costs more than everything else the worker does. Here
the rows go with server-side parameters through the driver's pipeline: one statement prepared
once, sent for all rows in one round trip, no escaping. Elsewhere (SQLite) ``bulk_create``.
"""

import functools
import time

import psycopg
from django.db import connections, router, transaction
from django.db.models import Model


@functools.cache
def insert_fields(model: type[Model], *, skip: tuple[str, ...] = ()) -> tuple:
    """The columns an INSERT of ``model`` writes: every concrete field but the primary key and ``skip``."""
    return tuple(field for field in model._meta.concrete_fields if not field.primary_key and field.column not in skip)


def insert_values(instance: Model, fields: tuple, connection, *, given: dict[str, object] | None = None) -> list:
    """``instance``'s values for ``fields`` as the database takes them (defaults and auto_now
    applied); ``given``: values by field name already in the database's form, used as they are."""
    given = given or {}
    return [
        given[field.name]
        if field.name in given
        else field.get_db_prep_save(field.pre_save(instance, add=True), connection)
        for field in fields
    ]


@functools.cache
def _insert_sql(model: type[Model]) -> tuple[str, tuple]:
    fields = insert_fields(model)
    columns = ", ".join(field.column for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {model._meta.db_table} ({columns}) VALUES ({placeholders})", fields  # noqa: S608


def server_side_execute(connection, sql: str, params, *, many: bool = False) -> psycopg.Cursor:
    """Run ``sql`` on Django's connection with server-side parameters (auto-prepared by the driver
    after a few runs), with Django's error classes and, when it logs queries, in its query log."""
    connection.ensure_connection()
    started = time.monotonic()
    with connection.wrap_database_errors:
        cursor = psycopg.Cursor(connection.connection)
        if many:
            cursor.executemany(sql, params)
        else:
            cursor.execute(sql, params)
    if connection.queries_logged:
        count = f" ({len(params)} rows)" if many else ""
        connection.queries_log.append({"sql": sql + count, "time": f"{time.monotonic() - started:.3f}"})
    return cursor


def bulk_insert(model: type[Model], instances: list[Model]) -> None:
    """Insert ``instances`` (primary keys are not read back). All or nothing, like bulk_create."""
    if not instances:
        return
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model.objects.bulk_create(instances)
        return
    sql, fields = _insert_sql(model)
    rows = [insert_values(instance, fields, connection) for instance in instances]
    with transaction.atomic(using=connection.alias, savepoint=False):
        server_side_execute(connection, sql, rows, many=True).close()
