"""Clients, connectors, their webhook tokens and the connector kinds, through the same services
as the admin (``connectors.services``, ``connectors.tokens``, ``events.console.actions``)."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from api.serializers.connectors import (
    POLICY_FIELDS,
    ClientSerializer,
    ConnectorCreateSerializer,
    ConnectorFilterSerializer,
    ConnectorSerializer,
    ConnectorUpdateSerializer,
    IssuedTokenSerializer,
    KeyRegisterSerializer,
    KindSerializer,
    SecretsStatusSerializer,
    TokenIssueSerializer,
    TokenSerializer,
)
from api.views.base import ApiViewSet
from connectors.kinds.registry import kind_get, kinds
from connectors.kinds.validation import SettingsInvalid
from connectors.models import AuthToken, Client, Connector
from connectors.services import (
    client_create,
    connector_config,
    connector_create,
    connector_policy_set,
    connector_state_set,
    connector_update,
)
from connectors.tokens import token_issue, token_register, token_revoke
from core.groups import EVENTS_RETRY_PERMISSION

RETRY = f"events.{EVENTS_RETRY_PERMISSION}"


class ClientViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet[Client]):
    queryset = Client.objects.order_by("name", "pk")
    serializer_class = ClientSerializer
    required_permissions = {
        "list": ("connectors.view_client",),
        "retrieve": ("connectors.view_client",),
        "create": ("connectors.add_client",),
    }

    def create(self, request: Request) -> Response:
        serializer = ClientSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        client = client_create(**serializer.validated_data, user=request.user)
        return Response(ClientSerializer(client).data, status=status.HTTP_201_CREATED)


class KindViewSet(ApiViewSet[Any]):  # Any: kinds are code, not a model
    """The connector kinds and their settings: what a connector's ``settings`` and ``secrets`` take."""

    serializer_class = KindSerializer
    required_permissions = {"list": ("connectors.view_connector",)}
    pagination_class = None

    def list(self, request: Request) -> Response:
        # many=True makes a ListSerializer, which takes a list: the stubs type one item.
        return Response(KindSerializer(list(kinds().values()), many=True).data)  # type: ignore[arg-type]


def _settings_refusal(*, kind_key: str, invalid: SettingsInvalid, secrets_given: Mapping[str, str]) -> ValidationError:
    """The service's refusal, each error placed under ``settings`` or ``secrets`` as it was sent."""
    try:
        secret_keys = {field.key for field in kind_get(kind_key).secret_fields}
    except KeyError:
        secret_keys = set()
    errors: dict[str, Any] = {}  # messages for ``kind``; messages by key for ``settings`` and ``secrets``
    for key, message in invalid.errors.items():
        if key == "kind":
            errors["kind"] = [message]
        else:
            where = "secrets" if key in secret_keys or key in secrets_given else "settings"
            errors.setdefault(where, {})[key] = [message]
    return ValidationError(errors)


STATE_CHANGED = inline_serializer(
    "ConnectorStateChanged",
    {
        "state": serializers.ChoiceField(choices=Connector.State.choices),
        "deliveries": serializers.IntegerField(
            help_text="Deliveries held (pause, disable) or released (resume)."
        ),
    },
)


class ConnectorViewSet(mixins.RetrieveModelMixin, ApiViewSet[Connector]):
    queryset = Connector.objects.select_related("client").order_by("client__name", "name", "pk")
    serializer_class = ConnectorSerializer
    required_permissions = {
        "list": ("connectors.view_connector",),
        "retrieve": ("connectors.view_connector",),
        "create": ("connectors.add_connector",),
        "partial_update": ("connectors.change_connector",),
        "secrets": ("connectors.view_connector", "connectors.view_connector_secrets"),
        "disable": ("connectors.change_connector",),
        "pause": (RETRY,),
        "resume": (RETRY,),
    }

    @extend_schema(parameters=[ConnectorFilterSerializer])
    def list(self, request: Request) -> Response:
        params = ConnectorFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        lookups = {f"{name}_id" if name == "client" else name: value for name, value in params.validated_data.items()}
        return Response(ConnectorSerializer(self.get_queryset().filter(**lookups), many=True).data)

    @extend_schema(request=ConnectorCreateSerializer, responses={201: ConnectorSerializer})
    def create(self, request: Request) -> Response:
        serializer = ConnectorCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            connector = connector_create(**data, user=request.user)
        except SettingsInvalid as invalid:
            raise _settings_refusal(kind_key=data["kind"], invalid=invalid, secrets_given=data["secrets"]) from None
        return Response(ConnectorSerializer(connector).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ConnectorUpdateSerializer, responses={200: ConnectorSerializer})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        connector = self.get_object()
        serializer = ConnectorUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        kind = kind_get(connector.kind)
        optional_secrets = {f.key for f in kind.secret_fields if not f.required}
        unknown = [key for key in data.get("secrets_cleared", ()) if key not in optional_secrets]
        if unknown:
            message = f"Only an optional secret of {kind.label} can be cleared: {', '.join(sorted(optional_secrets))}."
            raise ValidationError({"secrets_cleared": [message] if optional_secrets else ["Nothing to clear."]})
        try:
            with transaction.atomic():
                connector_update(
                    connector=connector,
                    name=data.get("name"),
                    environment=data.get("environment"),
                    settings={**connector.settings, **data["settings"]} if "settings" in data else None,
                    secrets=data.get("secrets"),
                    secrets_cleared=data.get("secrets_cleared", ()),
                    user=request.user,
                )
                if POLICY_FIELDS & data.keys():
                    policy = {field: data.get(field, getattr(connector, field)) for field in POLICY_FIELDS}
                    connector_policy_set(connector=connector, **policy, user=request.user)
        except SettingsInvalid as invalid:
            connector.refresh_from_db()
            raise _settings_refusal(
                kind_key=connector.kind, invalid=invalid, secrets_given=data.get("secrets", {})
            ) from None
        return Response(ConnectorSerializer(connector).data)

    @extend_schema(responses={200: SecretsStatusSerializer})
    @action(detail=True, methods=["get"])
    def secrets(self, request: Request, pk: str | None = None) -> Response:
        """Which secrets are set (never their values): for those who may see that in the admin."""
        config = connector_config(self.get_object())
        body = {
            "set": sorted(key for key, value in config.secrets.items() if value),
            "unreadable": config.secrets_unreadable,
        }
        return Response(SecretsStatusSerializer(body).data)

    @extend_schema(request=None, responses={200: STATE_CHANGED})
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: str | None = None) -> Response:
        """Accept events, hold their deliveries until resumed."""
        change = connector_state_set(connector=self.get_object(), state=Connector.State.PAUSED, user=request.user)
        return Response({"state": change.connector.state, "deliveries": change.held})

    @extend_schema(request=None, responses={200: STATE_CHANGED})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        """Make the connector active and release its held deliveries gradually."""
        change = connector_state_set(connector=self.get_object(), state=Connector.State.ACTIVE, user=request.user)
        return Response({"state": change.connector.state, "deliveries": change.released})

    @extend_schema(request=None, responses={200: STATE_CHANGED})
    @action(detail=True, methods=["post"])
    def disable(self, request: Request, pk: str | None = None) -> Response:
        """Refuse the connector's events and hold its due deliveries (resume makes it active again)."""
        change = connector_state_set(connector=self.get_object(), state=Connector.State.DISABLED, user=request.user)
        return Response({"state": change.connector.state, "deliveries": change.held})


class TokenViewSet(mixins.ListModelMixin, ApiViewSet[AuthToken]):
    """A connector's webhook tokens: issued (shown once), registered (a key the client chose), revoked."""

    serializer_class = TokenSerializer
    pagination_class = None
    required_permissions = {
        "list": ("connectors.view_authtoken",),
        "create": ("connectors.add_authtoken",),
        "register": ("connectors.add_authtoken",),
        "revoke": ("connectors.change_authtoken",),
    }

    def connector(self) -> Connector:
        return get_object_or_404(Connector, pk=self.kwargs["connector_pk"])

    def _direction_check(self, connector: Connector, direction: str) -> None:
        """Only the directions the kind has a URL for, as in the admin (a one-way kind's other URL is 404)."""
        kind = kind_get(connector.kind)
        if direction not in kind.directions:
            has = ", ".join(str(d) for d in kind.directions)
            raise ValidationError({"direction": [f"{kind.label} connectors have a URL only for: {has}."]})

    def get_queryset(self) -> QuerySet[AuthToken]:
        return AuthToken.objects.filter(connector_id=self.kwargs["connector_pk"]).order_by("-created_at", "-pk")

    def list(self, request: Request, connector_pk: int | None = None) -> Response:
        self.connector()
        return super().list(request)

    @extend_schema(request=TokenIssueSerializer, responses={201: IssuedTokenSerializer})
    def create(self, request: Request, connector_pk: int | None = None) -> Response:
        """Issue a token; the answer is the only time it is shown."""
        connector = self.connector()
        serializer = TokenIssueSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self._direction_check(connector, serializer.validated_data["direction"])
        issued = token_issue(connector=connector, **serializer.validated_data, user=request.user)
        body = {**TokenSerializer(issued.token).data, "token": issued.plaintext}
        return Response(
            # A model serializer reads a dict as well (the token's fields and the key): the stubs take a model.
            IssuedTokenSerializer(body).data,  # type: ignore[arg-type]
            status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"}
        )

    @extend_schema(request=KeyRegisterSerializer, responses={201: TokenSerializer})
    @action(detail=False, methods=["post"])
    def register(self, request: Request, connector_pk: int | None = None) -> Response:
        """Register a key the client chose (it is checked to be long and hard to guess)."""
        connector = self.connector()
        serializer = KeyRegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self._direction_check(connector, serializer.validated_data["direction"])
        try:
            token = token_register(connector=connector, **serializer.validated_data, user=request.user)
        except DjangoValidationError as refused:
            raise ValidationError(refused.message_dict) from None
        return Response(TokenSerializer(token).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: TokenSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, connector_pk: int | None = None, pk: int | None = None) -> Response:
        """Revoke a token: the webhook refuses it from now on; revoking twice changes nothing."""
        token = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(TokenSerializer(token_revoke(prefix_or_id=str(token.pk))).data)
