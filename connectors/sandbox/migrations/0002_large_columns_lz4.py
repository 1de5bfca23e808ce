from django.db import migrations

from core.compression import lz4_columns


class Migration(migrations.Migration):
    dependencies = [("sandbox", "0001_initial")]

    operations = [
        lz4_columns({"sandbox.SandboxRequest": ["body", "response"], "sandbox.SandboxSegmentMessage": ["message"]}),
    ]
