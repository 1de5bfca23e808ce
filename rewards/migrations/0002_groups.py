from django.db import migrations

from core.groups import groups_sync


def groups_grant_rewards(apps, schema_editor):
    groups_sync(apps=apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("connectors", "0002_groups"),
        ("rewards", "0001_initial"),
    ]

    operations = [migrations.RunPython(groups_grant_rewards, migrations.RunPython.noop)]
