from django.db import migrations

from core.compression import lz4_columns


class Migration(migrations.Migration):
    dependencies = [("events", "0008_delivery_connector_due")]

    operations = [
        lz4_columns({
            "events.Event": ["payload", "context"],
            "events.Delivery": ["body", "result"],
            "events.DeliveryAttempt": ["request_body", "response_body"],
        }),
    ]
