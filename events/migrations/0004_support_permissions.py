from django.db import migrations


def groups_sync(apps, schema_editor):
    from core.groups import groups_sync as sync

    sync(apps=apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0003_console"),
        ("connectors", "0002_groups"),
    ]

    operations = [migrations.RunPython(groups_sync, migrations.RunPython.noop)]
