"""What a CDP event may earn, and every reward requested for an identity with its outcome.

The ledger is written by the pipeline through ``rewards.services``: one entry per trigger request
sent to AIR, settled when the delivery ends, and linked to the SERVICE.TRIGGER notification AIR
sends back, so support sees the whole chain from one row.
"""

from django.db import models


class TriggerReference(models.Model):
    """An AIR behavioural-action trigger reference a connector knows (the action's ``reference``)."""

    connector = models.ForeignKey(
        "connectors.Connector", on_delete=models.CASCADE, related_name="trigger_references"
    )
    reference = models.CharField(
        max_length=100, help_text="The behavioural action reference set up in AIR, such as A0001."
    )
    description = models.CharField(max_length=300, blank=True)
    air_campaign_id = models.CharField(
        "AIR campaign id", max_length=40, blank=True, help_text="The AIR campaign the action belongs to."
    )
    active = models.BooleanField(
        default=True, help_text="Only active references count as known when unknown references are refused."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["connector", "reference"]
        constraints = [
            models.UniqueConstraint(fields=["connector", "reference"], name="trigger_reference_unique"),
        ]

    def __str__(self) -> str:
        return self.reference


class RewardLedgerEntry(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        AWARDED = "awarded", "Awarded"
        REFUSED = "refused", "Refused by AIR"
        FAILED = "failed", "Failed"

    connector = models.ForeignKey(
        "connectors.Connector", on_delete=models.PROTECT, related_name="reward_ledger_entries"
    )
    identity = models.CharField(max_length=200)
    trigger_references = models.JSONField(default=list, blank=True)
    wallet_transaction_reference = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    reason = models.TextField(blank=True)
    # The ledger keeps its own copy of what support searches by, so it outlives pruning of the log.
    request_event = models.ForeignKey(
        "events.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="reward_requests"
    )
    delivery = models.OneToOneField(
        "events.Delivery",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reward_ledger_entry",
    )
    wallet_transaction_id = models.CharField(max_length=40, blank=True)
    points_awarded = models.IntegerField(null=True, blank=True)
    coupons_awarded = models.JSONField(default=list, blank=True)
    follow_up_event = models.ForeignKey(
        "events.Event",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reward_follow_ups",
        help_text="The SERVICE.TRIGGER notification AIR sent after awarding.",
    )
    requested_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)
    linked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = "reward ledger entry"
        verbose_name_plural = "reward ledger"
        indexes = [
            models.Index(fields=["identity", "-requested_at"], name="reward_identity_recent"),
            models.Index(fields=["wallet_transaction_reference"], name="reward_wallet_tx_reference"),
            models.Index(fields=["wallet_transaction_id"], name="reward_wallet_tx_id"),
            models.Index(fields=["connector", "status", "-requested_at"], name="reward_connector_status"),
            models.Index(fields=["status", "-requested_at"], name="reward_status_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.identity} {self.wallet_transaction_reference}"


class TriggerWindow(models.Model):
    """When a connector's repeat window for one identity and set of triggers ends.

    One row per connector and key (the kind's ``RewardRequest.window_key``), claimed by the trigger that is
    sent: an UPDATE that only succeeds once the window has ended, or the INSERT of the first row,
    both checked by the database, so two concurrent triggers cannot both count.
    """

    connector = models.ForeignKey("connectors.Connector", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    counted_until = models.DateTimeField()
    counted_event = models.UUIDField(help_text="The public id of the event the window counted.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connector", "key"], name="trigger_window_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key} until {self.counted_until}"
