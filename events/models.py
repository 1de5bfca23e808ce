"""The delivery log, append-only, three levels: Event → Delivery → DeliveryAttempt.

The Delivery row is the outbox: a Celery message only hints that a row is due. Whatever happens
to the broker or a worker, the sweeper finds due and stale rows here and sends them.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from connectors.kinds.base import IncomingEvent
from connectors.models import Connector
from core.direction import Direction as Direction  # re-exported: the log's filters and serializers name it here
from core.direction import DirectionField


class Event(models.Model):
    class Status(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        IGNORED = "ignored", "Ignored"
        TRANSLATED = "translated", "Translated"
        FAILED = "failed", "Failed"
        # A message of a batch refused alone (its reason in ``error``, the message as the payload)
        # while the others were received: what support sees of what the sender was told.
        REFUSED = "refused", "Refused"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Indexed by the leading column of the unique constraint and of event_connector_recent.
    connector = models.ForeignKey(
        "connectors.Connector", on_delete=models.PROTECT, related_name="events", db_index=False
    )
    direction = DirectionField()
    event_type = models.CharField(max_length=120)
    source_event_id = models.CharField(max_length=200)
    identity = models.CharField(max_length=200, blank=True, db_index=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(db_index=True)
    payload = models.JSONField(null=True, blank=True)  # nulled by retention, metadata kept
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACCEPTED)
    error = models.TextField(blank=True)
    duplicate_count = models.PositiveIntegerField(default=0)
    last_duplicate_at = models.DateTimeField(null=True, blank=True)
    replayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "direction", "source_event_id"], name="event_unique_per_sender_id"
            ),
        ]
        indexes = [
            models.Index(fields=["connector", "-received_at"], name="event_connector_recent"),
            models.Index(fields=["status", "-received_at"], name="event_status_recent"),
            models.Index(fields=["event_type", "-received_at"], name="event_type_recent"),
            models.Index(fields=["source_event_id"], name="event_source_id"),
            models.Index(fields=["direction", "-received_at"], name="event_direction_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.source_event_id}"

    def incoming(self) -> IncomingEvent:
        """The event as it was read when it was stored (its kind's reading, kept in the row)."""
        return IncomingEvent(
            event_type=self.event_type,
            source_event_id=self.source_event_id,
            identity=self.identity,
            occurred_at=self.occurred_at,
            context=self.context or {},
        )


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERING = "delivering", "Delivering"
        SUCCEEDED = "succeeded", "Succeeded"
        RETRYING = "retrying", "Retrying"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        HELD = "held", "Held (connector paused)"

    DUE_STATUSES = (Status.PENDING, Status.RETRYING)
    TERMINAL_STATUSES = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    # Indexed by the leading column of delivery_connector_status and delivery_connector_recent.
    connector = models.ForeignKey(
        "connectors.Connector", on_delete=models.PROTECT, related_name="deliveries", db_index=False
    )
    destination = models.CharField(max_length=20)
    method = models.CharField(max_length=8, default="POST")
    url = models.TextField()  # a postback URL carries its parameters: no length limit
    body = models.JSONField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    # When a task message was last sent for this row; the sweeper re-sends only stale hints.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # What the next attempt is recorded as, and who asked for it (manual and bulk retries).
    next_trigger = models.CharField(max_length=8, default="auto")
    next_triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True)  # what the remote returned that support needs
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays", db_index=False
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due",
                condition=Q(status__in=["pending", "retrying"]),
            ),
            # A worker topping up a batch: a connector's due rows, oldest first.
            models.Index(
                fields=["connector", "next_attempt_at"],
                name="delivery_connector_due",
                condition=Q(status__in=["pending", "retrying"]),
            ),
            models.Index(
                fields=["claim_expires_at"], name="delivery_claimed", condition=Q(status="delivering")
            ),
            models.Index(fields=["connector", "status", "-created_at"], name="delivery_connector_status"),
            models.Index(fields=["status", "-created_at"], name="delivery_status_recent"),
            models.Index(fields=["destination", "-created_at"], name="delivery_destination_recent"),
            models.Index(fields=["idempotency_key"], name="delivery_idempotency_key"),
            # The support console: filters by connector alone and by status-code class, the
            # dashboard's rollups by outcome time.
            models.Index(fields=["connector", "-created_at"], name="delivery_connector_recent"),
            models.Index(fields=["last_status_code", "-created_at"], name="delivery_code_recent"),
            models.Index(fields=["delivered_at"], name="delivery_delivered", condition=Q(status="succeeded")),
            models.Index(fields=["updated_at"], name="delivery_failed_at", condition=Q(status="failed")),
            # Foreign keys that are almost always empty: only the rows that have one are indexed
            # (what deleting a user or a replayed delivery needs), not every row written.
            models.Index(
                fields=["next_triggered_by"], name="delivery_next_triggered_by",
                condition=Q(next_triggered_by__isnull=False),
            ),
            models.Index(fields=["replay_of"], name="delivery_replay_of", condition=Q(replay_of__isnull=False)),
        ]
        permissions = [("retry_delivery", "Can retry, replay and cancel deliveries and pause connectors")]

    def __str__(self) -> str:
        return f"{self.destination} {self.idempotency_key}"


class DeliveryAttempt(models.Model):
    class Trigger(models.TextChoices):
        AUTO = "auto", "Automatic"
        MANUAL = "manual", "Manual retry"
        BULK = "bulk", "Bulk retry"
        RESUME = "resume", "Connector resumed"

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        RETRY = "retry", "Will retry"
        TERMINAL = "terminal", "Failed for good"

    # Indexed by the leading column of attempt_unique_number.
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log", db_index=False)
    number = models.PositiveSmallIntegerField()
    trigger = models.CharField(max_length=8, choices=Trigger.choices, default=Trigger.AUTO)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    method = models.CharField(max_length=8)
    url = models.TextField()  # a postback URL carries its parameters: no length limit
    request_headers = models.JSONField(default=dict)
    request_body = models.TextField(blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    response_body = models.TextField(blank=True)
    error_class = models.CharField(max_length=100, blank=True)
    error_message = models.TextField(blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    task_id = models.CharField(max_length=64, blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="attempt_unique_number"),
        ]
        indexes = [
            models.Index(fields=["-started_at"], name="attempt_recent"),
            models.Index(fields=["triggered_by"], name="attempt_triggered_by", condition=Q(triggered_by__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"


class BulkRetryJob(models.Model):
    """A tracked "retry all failed matching this filter": the saved filter, the count it matched
    when confirmed, progress as it runs, and who started or cancelled it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to start"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    filters = models.JSONField(default=dict, blank=True)
    description = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    queued = models.PositiveIntegerField(default=0)
    # Deliveries are walked by ascending id; the job resumes after this one.
    last_delivery_id = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when created and after every batch, so a job whose worker died is found and resumed.
    heartbeat_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "bulk retry"
        verbose_name_plural = "bulk retries"

    def __str__(self) -> str:
        return f"Bulk retry {self.pk}: {self.description or 'all failed'}"


ROLLUP_LATENCY_BOUNDS_MS = (
    100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000, 900_000, 3_600_000
)
ROLLUP_LATENCY_FIELDS = tuple(
    f"latency_{name}"
    for name in (
        "100ms", "250ms", "500ms", "1s", "2500ms", "5s", "10s", "30s", "1m", "5m", "15m", "1h", "over_1h"
    )
)


class DeliveryRollup(models.Model):
    """Five-minute counts per connector, so the dashboard never scans the log."""

    connector = models.ForeignKey("connectors.Connector", on_delete=models.CASCADE, related_name="+")
    bucket_start = models.DateTimeField()
    received = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # Delivery latency (created → delivered) as a histogram the database can sum: how many
    # deliveries took at most each bound (``ROLLUP_LATENCY_BOUNDS_MS``), the last slot is longer.
    latency_100ms = models.PositiveIntegerField(default=0)
    latency_250ms = models.PositiveIntegerField(default=0)
    latency_500ms = models.PositiveIntegerField(default=0)
    latency_1s = models.PositiveIntegerField(default=0)
    latency_2500ms = models.PositiveIntegerField(default=0)
    latency_5s = models.PositiveIntegerField(default=0)
    latency_10s = models.PositiveIntegerField(default=0)
    latency_30s = models.PositiveIntegerField(default=0)
    latency_1m = models.PositiveIntegerField(default=0)
    latency_5m = models.PositiveIntegerField(default=0)
    latency_15m = models.PositiveIntegerField(default=0)
    latency_1h = models.PositiveIntegerField(default=0)
    latency_over_1h = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-bucket_start"]
        constraints = [
            models.UniqueConstraint(fields=["connector", "bucket_start"], name="rollup_unique_bucket"),
        ]
        indexes = [models.Index(fields=["bucket_start", "connector"], name="rollup_bucket")]

    def __str__(self) -> str:
        return f"{self.connector_id} {self.bucket_start:%Y-%m-%d %H:%M}"


class ConnectorHealth(Connector):
    """Connectors as support sees them: state, failing and held counts, pause and resume."""

    class Meta:
        proxy = True
        verbose_name = "connector health"
        verbose_name_plural = "connector health"


from events.alert_models import *  # noqa: E402,F403 - alert channels and alerts live in their own module
from events.destination_models import DestinationCircuit, DestinationSlot  # noqa: E402,F401 - circuits and slots
from events.rule_models import *  # noqa: E402,F403 - mapping-rule models live in their own module
