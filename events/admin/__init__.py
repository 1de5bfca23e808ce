"""The support console: the delivery log, bulk retries, connector health and the dashboard."""

from events.admin import deliveries, events, health, jobs

__all__ = ["deliveries", "events", "health", "jobs"]
