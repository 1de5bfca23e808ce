"""The upstreams' choices are read from connectors.sandbox.upstreams: a new upstream needs no migration."""
import connectors.sandbox.upstreams
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('sandbox', '0002_large_columns_lz4'),
    ]

    operations = [
        migrations.AlterField(
            model_name='sandboxbehaviour',
            name='upstream',
            field=models.CharField(choices=connectors.sandbox.upstreams.upstream_choices, max_length=16, unique=True),
        ),
        migrations.AlterField(
            model_name='sandboxrecord',
            name='upstream',
            field=models.CharField(choices=connectors.sandbox.upstreams.upstream_choices, max_length=16),
        ),
        migrations.AlterField(
            model_name='sandboxrequest',
            name='upstream',
            field=models.CharField(choices=connectors.sandbox.upstreams.upstream_choices, max_length=16),
        ),
        migrations.AlterField(
            model_name='sandboxsegmentmessage',
            name='upstream',
            field=models.CharField(choices=connectors.sandbox.upstreams.upstream_choices, default='segment', max_length=16),
        ),
    ]
