import uuid

from django.conf import settings as django_settings
from django.db import models

from connectors.kinds.registry import kind_choices
from core.direction import Direction, DirectionField


class Client(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    notes = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Connector(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused (accepts events, holds deliveries)"
        DISABLED = "disabled", "Disabled (refuses events)"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="connectors")
    kind = models.CharField(max_length=40, choices=kind_choices)
    name = models.CharField(max_length=200)
    environment = models.CharField(max_length=40, blank=True, help_text='A label such as "UAT" or "Production".')
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    settings = models.JSONField(default=dict, blank=True)
    secrets_encrypted = models.TextField(blank=True, editable=False)
    # Delivery policy; blank means the platform default.
    max_attempts = models.PositiveSmallIntegerField(null=True, blank=True)
    rate_limit_per_second = models.PositiveIntegerField(
        null=True, blank=True, help_text="Webhooks accepted per second; blank for no limit."
    )
    destination_rate_per_second = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="Requests sent per second to each of its destinations (a partner's quota); blank for no limit.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["client__name", "name"]
        permissions = [("view_connector_secrets", "Can see which connector secrets are set")]

    def __str__(self) -> str:
        label = f"{self.client} · {self.name}"
        return f"{label} ({self.environment})" if self.environment else label


class AuthToken(models.Model):
    """A webhook token. Only its hash is stored; the token itself is shown once, when issued."""

    # The connector's two directions (core.direction), labelled by who calls the URL a token opens.
    DIRECTION_LABELS: dict[Direction, str] = {
        Direction.IN: "Inbound (Segment → platform)",
        Direction.OUT: "Outbound (loyalty engine → platform)",
    }
    DIRECTION_CHOICES = [(direction.value, label) for direction, label in DIRECTION_LABELS.items()]

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="tokens")
    direction = DirectionField(choices=DIRECTION_CHOICES)
    label = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, db_index=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["connector", "direction"])]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.get_direction_display()})"
