"""Inserting many rows of large text or JSON in one round trip.

On PostgreSQL, Django's ``bulk_create`` passes each column as one array literal built on the
client, which escapes every quote of every JSON body with a regular expression: for a batch of
Segment messages or delivery attempts that costs more than everything else the worker does. Here
the rows go with server-side parameters through the driver's pipeline: one statement prepared
once, sent for all rows in one round trip, no escaping. Elsewhere (SQLite) ``bulk_create``.
"""

import functools
import time
import uuid
from datetime import datetime

import psycopg
from django.db import connections, models, router, transaction
from django.db.models import Model

# Field classes whose value, when it already has the type named here, PostgreSQL's driver takes as
# it is: Django's preparation (to_python, get_prep_value, the backend's adaptation) would return
# it unchanged, at a cost that for two rows of thirty columns was a tenth of a webhook's CPU.
# Exact classes only (a subclass may convert), and not a date with auto_now (its pre_save sets it).
_AS_IS: dict[type, tuple[type, ...]] = {
    models.BigIntegerField: (int,),
    models.BooleanField: (bool,),
    models.CharField: (str,),
    models.DateTimeField: (datetime,),
    models.ForeignKey: (int,),
    models.IntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.PositiveSmallIntegerField: (int,),
    models.SmallIntegerField: (int,),
    models.TextField: (str,),
    models.UUIDField: (uuid.UUID,),
}


@functools.cache
def insert_fields(model: type[Model], *, skip: tuple[str, ...] = ()) -> tuple:
    """The columns an INSERT of ``model`` writes: every concrete field but the primary key and ``skip``."""
    return tuple(field for field in model._meta.concrete_fields if not field.primary_key and field.column not in skip)


@functools.cache
def _value_plans(fields: tuple, vendor: str) -> tuple:
    """Per field: its name, attribute and the value types passed as they are (none off PostgreSQL)."""
    def as_is(field) -> tuple[type, ...]:
        if vendor != "postgresql" or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return ()
        return _AS_IS.get(type(field), ())

    return tuple((field, field.name, field.attname, as_is(field)) for field in fields)


def insert_values(instance: Model, fields: tuple, connection, *, given: dict[str, object] | None = None) -> list:
    """``instance``'s values for ``fields`` as the database takes them (defaults and auto_now
    applied); ``given``: values by field name already in the database's form, used as they are."""
    given = given or {}
    values = []
    for field, name, attname, as_is in _value_plans(fields, connection.vendor):
        if name in given:
            values.append(given[name])
            continue
        value = getattr(instance, attname)
        if as_is and (value is None or type(value) in as_is):
            values.append(value)
            continue
        values.append(field.get_db_prep_save(field.pre_save(instance, add=True), connection))
    return values


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


@functools.cache
def _counting_sql(model: type[Model], unique: tuple[str, ...], count: str) -> tuple[str, tuple]:
    insert, fields = _insert_sql(model)
    table = model._meta.db_table
    column = model._meta.get_field(count).column
    keys = ", ".join(model._meta.get_field(name).column for name in unique)
    return (
        f"{insert} ON CONFLICT ({keys}) DO UPDATE "
        f"SET {column} = {table}.{column} + EXCLUDED.{column} + 1",
        fields,
    )


def bulk_insert_counting(model: type[Model], instances: list[Model], *, unique: tuple[str, ...], count: str) -> None:
    """Insert ``instances``; where a row with the same ``unique`` fields exists already, raise its
    ``count`` field by the instance's ``count`` plus one instead (the instance came once more).
    One statement per row, all in one round trip and one transaction; the database settles rows
    that concurrent requests insert at the same moment, so nothing is read first."""
    if not instances:
        return
    connection = connections[router.db_for_write(model)]
    sql, fields = _counting_sql(model, unique, count)
    rows = [insert_values(instance, fields, connection) for instance in instances]
    with transaction.atomic(using=connection.alias, savepoint=False):
        if connection.vendor == "postgresql":
            server_side_execute(connection, sql, rows, many=True).close()
        else:
            with connection.cursor() as cursor:
                cursor.executemany(sql, rows)


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
