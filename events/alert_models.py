"""Alerts: where a client's alerts go (``AlertChannel``) and every alert raised (``Alert``), models
imported by ``events.models``; the conditions and the sending live in ``events/console/alerts.py``.

An alert's ``key`` names its condition, its subject (a connector, a destination, a client) and the
window it was raised in, and is unique: a condition holding all through a window raises one alert,
so one message, however often it is evaluated.
"""

from django.db import models
from django.db.models import Q

__all__ = ["Alert", "AlertChannel"]


class AlertChannel(models.Model):
    """Where one client's alerts are sent: email addresses, a webhook URL, or both. The webhook's
    body is signed with a secret shown once, when it is made (``webhook_secret_encrypted``)."""

    client = models.OneToOneField("connectors.Client", on_delete=models.CASCADE, related_name="alert_channel")
    emails = models.TextField(blank=True, help_text="Addresses that receive the client's alerts, one a line.")
    webhook_url = models.TextField(
        blank=True, help_text="An https URL that receives each alert as a signed JSON POST (Standard Webhooks)."
    )
    webhook_secret_encrypted = models.TextField(blank=True, editable=False)
    active = models.BooleanField(default=True, help_text="Off: alerts are still raised and shown, not sent here.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["client__name"]
        verbose_name = "alert channel"

    def __str__(self) -> str:
        return f"Alerts of {self.client}"

    @property
    def email_list(self) -> list[str]:
        return [line.strip() for line in self.emails.splitlines() if line.strip()]


class Alert(models.Model):
    class Condition(models.TextChoices):
        FAILURE_RATE = "failure_rate", "Failure rate over the threshold"
        DELIVERIES_FAILED = "deliveries_failed", "Deliveries failed after their last attempt"
        CIRCUIT_OPEN = "circuit_open", "Destination circuit open"
        ORPHANS = "orphans", "Reconciliation found orphans"

    key = models.CharField(max_length=200, unique=True)
    condition = models.CharField(max_length=20, choices=Condition.choices)
    client = models.ForeignKey("connectors.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    connector = models.ForeignKey(
        "connectors.Connector", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    title = models.CharField(max_length=300)
    detail = models.TextField(blank=True)
    figures = models.JSONField(default=dict, blank=True)
    raised_at = models.DateTimeField()
    # Set when a sender claims it: a message is sent at most once, even by two workers at a time.
    notified_at = models.DateTimeField(null=True, blank=True)
    email_result = models.TextField(blank=True)  # empty: no address to send to
    webhook_result = models.TextField(blank=True)  # empty: no webhook URL

    class Meta:
        ordering = ["-raised_at"]
        indexes = [
            models.Index(fields=["-window_end"], name="alert_recent"),
            models.Index(fields=["raised_at"], name="alert_unsent", condition=Q(notified_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.title
