from django.db import migrations

from core.groups import groups_sync


def groups_update(apps, schema_editor):
    groups_sync(apps=apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    """Support reads every delivery-log model (dashboards, mapping rules) and the reward ledger."""

    dependencies = [
        ("connectors", "0002_groups"),
        ("events", "0005_mapping_rules"),
        ("rewards", "0002_groups"),
    ]

    operations = [migrations.RunPython(groups_update, migrations.RunPython.noop)]
