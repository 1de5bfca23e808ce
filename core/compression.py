"""Large JSON and text columns compressed with LZ4 on PostgreSQL.

PostgreSQL compresses a value of more than about 2 KB before it stores it (TOAST), by default
with its own ``pglz``. For a 27 KB AIR notification that compression is a third of the whole
insert's CPU in the server; LZ4 (PostgreSQL 14 and later, when the server was built with it, as
Debian's and the official images are) compresses the same payload several times faster to about
the same size. Only values written after the change use it; older rows stay readable as they are.
Elsewhere (SQLite, an older server, a server without LZ4) nothing changes.
"""

from django.db import migrations


def _lz4_available(schema_editor) -> bool:
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
        row = cursor.fetchone()
    return bool(row) and "lz4" in row[0]


def _columns_set(apps, schema_editor, fields: dict[str, list[str]], method: str) -> None:
    if not _lz4_available(schema_editor):
        return
    quote = schema_editor.quote_name
    for model_name, names in fields.items():
        meta = apps.get_model(model_name)._meta
        changes = ", ".join(
            f"ALTER COLUMN {quote(meta.get_field(name).column)} SET COMPRESSION {method}" for name in names
        )
        schema_editor.execute(f"ALTER TABLE {quote(meta.db_table)} {changes}")


def lz4_columns(fields: dict[str, list[str]]) -> migrations.RunPython:
    """A migration operation: the ``fields`` (``"app_label.Model"`` → field names) compressed with
    LZ4 where the server can; reversed, back to the server's default."""

    def forward(apps, schema_editor):
        _columns_set(apps, schema_editor, fields, "lz4")

    def backward(apps, schema_editor):
        _columns_set(apps, schema_editor, fields, "default")

    return migrations.RunPython(forward, backward, elidable=False)
