"""The ceiling for ingest: a bare Django view on the same server that parses the same body and inserts
one row in autocommit. The webhook endpoint cannot beat this without batching across requests."""

import json

from django.db import connection
from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

TABLE = "bench_ceiling"
TABLE_CREATE = f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, event_id text, payload jsonb)"


@csrf_exempt
def ceiling(request, connector_id):
    payload = json.loads(request.body)
    event_id = payload.get("headers", {}).get("eesEventId", "")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (event_id, payload) VALUES (%s, %s)",  # noqa: S608 - a constant name
            [event_id, request.body.decode()],
        )
    return JsonResponse({"status": "OK", "event_id": event_id})


urlpatterns = [
    path("bench/ceiling/<uuid:connector_id>", ceiling),
    path("", include("config.urls")),
]
