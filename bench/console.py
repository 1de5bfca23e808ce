"""Time the support console's main pages against the configured database.

    DATABASE_URL=postgres://… python manage.py log_seed --deliveries 1000000 --attempts-per-delivery 3
    DATABASE_URL=postgres://… python -m bench.console --runs 5

Prints the median and worst time per page, in milliseconds, through the Django test client.
"""

import argparse
import os
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client
    from django.urls import reverse

    from events.models import Delivery, Event

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    user, _ = User.objects.get_or_create(username="bench", defaults={"is_staff": True, "is_superuser": True})
    client = Client()
    client.force_login(user)
    deliveries = reverse("admin:events_delivery_changelist")
    events = reverse("admin:events_event_changelist")
    event = Event.objects.order_by("-received_at").first()
    delivery = Delivery.objects.order_by("-created_at").first()
    identity = event.identity if event else "CUST-1"
    pages = {
        "deliveries, unfiltered": (deliveries, {}),
        "deliveries, failed": (deliveries, {"status": "failed"}),
        "deliveries, 5xx last day": (deliveries, {"code": "5xx", "period": "day"}),
        "deliveries, connector + status": (
            deliveries,
            {"connector": event.connector_id if event else 0, "status": "retrying"},
        ),
        "deliveries, search identity": (deliveries, {"q": identity}),
        "deliveries, search reference": (deliveries, {"q": delivery.idempotency_key if delivery else "x"}),
        "events, unfiltered": (events, {}),
        "events, type + week": (events, {"event_type": "track", "period": "week"}),
        "events, search event id": (events, {"q": event.source_event_id if event else "x"}),
        "event page": (reverse("admin:events_event_change", args=[event.pk]) if event else events, {}),
        "dashboard, day": (reverse("admin:events_connectorhealth_dashboard"), {"window": "day"}),
        "dashboard, week": (reverse("admin:events_connectorhealth_dashboard"), {"window": "week"}),
        "connector health": (reverse("admin:events_connectorhealth_changelist"), {}),
    }
    print(f"{'page':36} {'median ms':>10} {'max ms':>8}  status")
    for name, (url, params) in pages.items():
        client.get(url, params)  # warm caches and connections
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            response = client.get(url, params)
            timings.append((time.perf_counter() - started) * 1000)
        print(f"{name:36} {statistics.median(timings):10.1f} {max(timings):8.1f}  {response.status_code}")


if __name__ == "__main__":
    main()
