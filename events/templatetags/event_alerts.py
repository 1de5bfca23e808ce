"""The dashboard's "Active alerts" panel reads its alerts itself, so the page that includes it
(``admin/events/alerts/active_panel.html``) passes nothing."""

from django import template
from django.conf import settings

from events.alert_models import Alert
from events.console.alerts import alerts_active

register = template.Library()


@register.simple_tag
def active_alerts() -> list[Alert]:
    return alerts_active()


@register.simple_tag
def alert_window_minutes() -> int:
    minutes: int = settings.ALERT_WINDOW_MINUTES  # read by django-environ as an int
    return minutes
