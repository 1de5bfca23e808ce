"""What every worker must agree on about one connector's destination: its circuit breaker, its
outbound rate window and its concurrency slots (``events/delivery/destinations.py``).

Kept in the database, not the cache: both run modes share it across processes (SQLite's writes
are serialised, PostgreSQL's rows are locked by conditional UPDATEs), whereas the embedded
default's cache is per process.
"""

from django.db import models


class DestinationCircuit(models.Model):
    """One connector's destination (``Delivery.destination``: "segment", "perkville"…)."""

    class State(models.TextChoices):
        CLOSED = "closed", "Closed (sending)"
        OPEN = "open", "Open (waiting for the next probe)"
        HALF_OPEN = "half_open", "Half-open (one probe in flight)"

    connector = models.ForeignKey("connectors.Connector", on_delete=models.CASCADE, related_name="+")
    destination = models.CharField(max_length=20)
    state = models.CharField(max_length=10, choices=State.choices, default=State.CLOSED)
    # Requests in a row that timed out or failed in a way that is retried; any answer that is
    # not such a failure sets it back to 0.
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_failure = models.TextField(blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    # Open: when one request may probe the destination. Half-open: when that probe's lease ends,
    # so a probe lost with its worker does not keep the circuit half-open for ever.
    probe_at = models.DateTimeField(null=True, blank=True)
    probe_until = models.DateTimeField(null=True, blank=True)
    # The connector's outbound rate limit: requests started in the one-second window from this time.
    window_start = models.DateTimeField(null=True, blank=True)
    window_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["connector", "destination"]
        constraints = [
            models.UniqueConstraint(fields=["connector", "destination"], name="circuit_unique_destination"),
        ]

    def __str__(self) -> str:
        return f"{self.connector_id} → {self.destination}: {self.state}"


class DestinationSlot(models.Model):
    """One of ``DESTINATION_MAX_CONCURRENCY`` requests a destination may have in flight. A slot is
    leased, not counted: a worker that dies holding one frees it when its lease ends."""

    circuit = models.ForeignKey(DestinationCircuit, on_delete=models.CASCADE, related_name="slots")
    number = models.PositiveSmallIntegerField()
    held_until = models.DateTimeField(null=True, blank=True)
    holder = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["circuit", "number"]
        constraints = [models.UniqueConstraint(fields=["circuit", "number"], name="slot_unique_number")]

    def __str__(self) -> str:
        return f"slot {self.number} of {self.circuit_id}"
