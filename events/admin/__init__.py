"""The support console: the delivery log, bulk retries, connector health, alerts and mapping rules."""

from django.contrib import admin

from events.admin import alerts, deliveries, events, health, jobs, mapping

# The admin is the product's console: it carries the product's name on every page and tab.
admin.site.site_header = "EE Connect"
admin.site.site_title = "EE Connect"
admin.site.index_title = "Console"
# The model sidebar would take a quarter of a 1366 px screen from the delivery log's columns; the
# console's home page and the breadcrumbs lead everywhere it does.
admin.site.enable_nav_sidebar = False

__all__ = ["alerts", "deliveries", "events", "health", "jobs", "mapping"]
