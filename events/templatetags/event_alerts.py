"""The dashboard's "Active alerts" panel reads its alerts itself, so the page that includes it
(``admin/events/alerts/active_panel.html``) passes nothing."""

from django import template
from django.conf import settings

from events.services.alerts import alerts_active

register = template.Library()


@register.simple_tag
def active_alerts():
    return alerts_active()


@register.simple_tag
def alert_window_minutes() -> int:
    return settings.ALERT_WINDOW_MINUTES
