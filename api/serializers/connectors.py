"""Clients, connectors and their webhook tokens as the Config API reads and writes them.

Settings are checked by the services (``connectors.services``), as the admin's are: these
serializers check only the shape of the request. Secrets are write-only: no answer carries them.
"""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.strict import ID_MAX, StrictInput
from connectors.kinds.base import Kind, SettingField
from connectors.kinds.registry import kind_choices
from connectors.models import AuthToken, Client, Connector
from connectors.services import connector_urls


class ClientSerializer(StrictInput, serializers.ModelSerializer[Client]):
    class Meta:
        model = Client
        fields = ("id", "name", "slug", "notes", "active", "created_at", "updated_at")
        read_only_fields = ("id", "active", "created_at", "updated_at")


class UrlsSerializer(serializers.Serializer[dict[str, str]]):
    """Only the directions the connector's kind has: a one-way kind's other URL answers 404."""

    in_ = serializers.URLField(required=False, help_text="For the CDP (Segment → platform).")
    out = serializers.URLField(required=False, help_text="For the loyalty engine (AIR notifications → platform).")

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["in"] = fields.pop("in_")
        return fields


POLICY_FIELDS = ("max_attempts", "rate_limit_per_second", "destination_rate_per_second")


class ConnectorSerializer(serializers.ModelSerializer[Connector]):
    urls = serializers.SerializerMethodField(help_text="The webhook URLs to give the client.")
    settings = serializers.JSONField(help_text="The kind's settings, secrets excluded.")

    class Meta:
        model = Connector
        fields: tuple[str, ...] = (
            "id", "public_id", "client", "kind", "name", "environment", "state", "settings", "urls",
            *POLICY_FIELDS, "created_at", "updated_at",
        )
        read_only_fields = fields

    @extend_schema_field(UrlsSerializer)
    def get_urls(self, connector: Connector) -> dict[str, str]:
        return connector_urls(connector)


class SecretsField(serializers.DictField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.CharField(allow_blank=True, trim_whitespace=False), **kwargs)


class ConnectorFilterSerializer(StrictInput, serializers.Serializer[dict[str, Any]]):
    client = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX, help_text="A client's id.")
    kind = serializers.ChoiceField(choices=kind_choices(), required=False)
    state = serializers.ChoiceField(choices=Connector.State.choices, required=False)


class ConnectorCreateSerializer(StrictInput, serializers.ModelSerializer[Connector]):
    settings = serializers.DictField(default=dict, help_text="The kind's settings (GET /api/v1/kinds/ lists them).")
    secrets = SecretsField(write_only=True, default=dict, help_text="Write-only: stored encrypted, never shown again.")

    class Meta:
        model = Connector
        fields = ("client", "kind", "name", "environment", "settings", "secrets", *POLICY_FIELDS)


class ConnectorUpdateSerializer(StrictInput, serializers.ModelSerializer[Connector]):
    settings = serializers.DictField(
        required=False,
        help_text="The settings to change: each key given replaces the stored one (null: back to its default); "
        "the others stay.",
    )
    secrets = SecretsField(
        write_only=True, required=False, help_text="Write-only. A blank or missing secret keeps the stored one."
    )
    secrets_cleared = serializers.ListField(
        child=serializers.CharField(), write_only=True, required=False,
        help_text="Optional secrets to remove (refused for a secret the kind requires).",
    )

    class Meta:
        model = Connector
        fields = ("name", "environment", "settings", "secrets", "secrets_cleared", *POLICY_FIELDS)
        extra_kwargs = {"name": {"required": False}}


class SecretsStatusSerializer(serializers.Serializer[dict[str, Any]]):
    set = serializers.ListField(child=serializers.CharField(), help_text="The secrets that have a value.")
    unreadable = serializers.CharField(
        help_text="Why the stored secrets cannot be decrypted with ENCRYPTION_KEYS; empty when they can."
    )


# A declared field named like a Field attribute (label, required, help_text) is taken out of the
# class by SerializerMetaclass, so it replaces no attribute; the stubs see an attribute's new type.
class KindFieldSerializer(serializers.Serializer[dict[str, Any]]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    type = serializers.CharField()
    required = serializers.BooleanField()  # type: ignore[assignment]
    default = serializers.JSONField(allow_null=True)
    choices = serializers.ListField(child=serializers.CharField())
    help_text = serializers.CharField()  # type: ignore[assignment]


class KindSerializer(serializers.Serializer[Kind]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # see KindFieldSerializer
    description = serializers.CharField()
    settings = serializers.SerializerMethodField()
    secrets = serializers.SerializerMethodField()

    def _fields(self, fields: tuple[SettingField, ...]) -> list[dict[str, Any]]:
        # many=True makes a ListSerializer, taking a list and giving a list: the stubs type one item's.
        return KindFieldSerializer(  # type: ignore[return-value]
            [{**vars(f), "type": f.type.value, "choices": [key for key, _ in f.choices]} for f in fields],  # type: ignore[arg-type]
            many=True,
        ).data

    @extend_schema_field(KindFieldSerializer(many=True))
    def get_settings(self, kind: Kind) -> list[dict[str, Any]]:
        return self._fields(kind.setting_fields)

    @extend_schema_field(KindFieldSerializer(many=True))
    def get_secrets(self, kind: Kind) -> list[dict[str, Any]]:
        return self._fields(kind.secret_fields)


class TokenSerializer(serializers.ModelSerializer[AuthToken]):
    class Meta:
        model = AuthToken
        fields: tuple[str, ...] = (
            "id", "direction", "label", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"
        )
        read_only_fields = fields


class TokenIssueSerializer(StrictInput, serializers.ModelSerializer[AuthToken]):
    class Meta:
        model = AuthToken
        fields: tuple[str, ...] = ("direction", "label", "expires_at")


class IssuedTokenSerializer(TokenSerializer):
    token = serializers.CharField(help_text="Shown this once: only its hash is kept.")

    class Meta(TokenSerializer.Meta):
        fields = (*TokenSerializer.Meta.fields, "token")
        read_only_fields = fields


class KeyRegisterSerializer(TokenIssueSerializer):
    value = serializers.CharField(
        trim_whitespace=False, write_only=True,
        help_text="The key the client chose: long and random (checked as the admin checks it); only its hash is kept.",
    )

    class Meta(TokenIssueSerializer.Meta):
        fields = (*TokenIssueSerializer.Meta.fields, "value")
