"""What the sandbox upstreams received, what they hold, and how they are told to misbehave.

Everything lives in the database so that the web server answering the fake API, a Celery worker
calling it and a test process inspecting it all see the same state.
"""

from django.db import models

from connectors.sandbox.upstreams import upstream_choices


class SandboxRequest(models.Model):
    """One HTTP call an upstream received, whatever it answered."""

    upstream = models.CharField(max_length=16, choices=upstream_choices)
    received_at = models.DateTimeField(auto_now_add=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=2000, help_text="Path with the query string, as received.")
    query = models.JSONField(default=dict, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.JSONField(null=True, blank=True, help_text="Parsed JSON, else the text; null when empty.")
    status = models.PositiveSmallIntegerField(help_text="The status the upstream answered.")
    response = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ("id",)
        indexes = (models.Index(fields=("upstream", "id")),)

    def __str__(self) -> str:
        return f"{self.upstream} {self.method} {self.path} → {self.status}"


class SandboxSegmentMessage(models.Model):
    """One Segment message, kept once per messageId as Segment's dedupe does."""

    upstream = models.CharField(max_length=16, choices=upstream_choices, default="segment")
    message_id = models.CharField(max_length=200)
    type = models.CharField(max_length=16)
    event = models.CharField(max_length=200, blank=True)
    user_id = models.CharField(max_length=200, blank=True)
    message = models.JSONField()
    first_seen_at = models.DateTimeField(auto_now_add=True)
    duplicate_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("id",)
        constraints = (
            models.UniqueConstraint(fields=("upstream", "message_id"), name="sandbox_segment_message_once"),
        )

    def __str__(self) -> str:
        return f"{self.type} {self.event or ''} {self.message_id}".replace("  ", " ")


class SandboxRecord(models.Model):
    """Something an upstream created and answers again for the same key.

    AIR wallet transactions by ``walletTransaction.reference``, Voucherify customers by
    ``source_id``, Everflow conversions by (transaction_id, event_id), Perkville transactions by
    ``trans_source_id``. ``group`` gathers records of one owner (an AIR identity's transactions).
    """

    upstream = models.CharField(max_length=16, choices=upstream_choices)
    key = models.CharField(max_length=300)
    group = models.CharField(max_length=300, blank=True)
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("id",)
        constraints = (models.UniqueConstraint(fields=("upstream", "key"), name="sandbox_record_once"),)
        indexes = (models.Index(fields=("upstream", "group")),)

    def __str__(self) -> str:
        return f"{self.upstream} {self.key}"


class SandboxBehaviour(models.Model):
    """Failure injection for one upstream's API endpoints.

    ``respond_status`` alone fails every call; with ``fail_first_n`` only the first N calls fail
    (``failures_served`` counts them, claimed by a conditional UPDATE so that concurrent processes
    never serve one failure too many).
    """

    upstream = models.CharField(max_length=16, choices=upstream_choices, unique=True)
    respond_status = models.PositiveSmallIntegerField(null=True, blank=True)
    delay_ms = models.PositiveIntegerField(default=0)
    fail_first_n = models.PositiveIntegerField(default=0)
    failures_served = models.PositiveIntegerField(default=0)
    retry_after = models.PositiveIntegerField(
        null=True, blank=True, help_text="Seconds, sent as Retry-After."
    )

    def __str__(self) -> str:
        return f"{self.upstream} behaviour"
