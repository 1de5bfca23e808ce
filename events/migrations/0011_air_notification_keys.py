"""Existing AIR notifications re-keyed by notification, not by AIR call.

Until now an AIR notification was stored under its ``eesEventId``, which AIR gives to every
notification of one API call. Each stored notification is given its notification key
(``connectors.kinds.air_segment.parse_out.notification_key``: the id plus a hash of its event name and
atomic operations), so a redelivery of it is still recognised as a duplicate. A notification whose
payload retention already removed keeps its old key: there is nothing left to key it by.
"""

from django.db import migrations

from connectors.kinds.air_segment.parse_out import notification_key

_BATCH = 500


def _rekey(apps, schema_editor):
    Event = apps.get_model("events", "Event")
    stored = Event.objects.filter(connector__kind="air_segment", direction="out", payload__isnull=False)
    changed = []
    for event in stored.only("id", "source_event_id", "payload").iterator(chunk_size=_BATCH):
        payload = event.payload
        headers = payload.get("headers") if isinstance(payload, dict) else None
        if not isinstance(headers, dict) or ":" in event.source_event_id:
            continue
        try:
            key = notification_key(payload)
        except (KeyError, TypeError):
            continue
        event.source_event_id = key
        changed.append(event)
        if len(changed) >= _BATCH:
            Event.objects.bulk_update(changed, ["source_event_id"])
            changed = []
    if changed:
        Event.objects.bulk_update(changed, ["source_event_id"])


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0010_destination_circuits"),
        ("connectors", "0003_groups_support_reads_the_whole_log"),
    ]

    operations = [migrations.RunPython(_rekey, migrations.RunPython.noop)]
