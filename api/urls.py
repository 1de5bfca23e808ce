"""The Config API under /api/v1/, its OpenAPI schema and the two documentation pages."""

from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from api.serializers.strict import ID_PATTERN, NUMBER_PATTERN
from api.views.connectors import ClientViewSet, ConnectorViewSet, KindViewSet, TokenViewSet
from api.views.log import BulkRetryViewSet, DeliveryViewSet, EventViewSet
from api.views.mapping import MappingRulesViewSet


class IdConverter:
    regex = ID_PATTERN

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: str | int) -> str:
        return str(value)


class NumberConverter(IdConverter):
    regex = NUMBER_PATTERN


register_converter(IdConverter, "id")
register_converter(NumberConverter, "number")

router = SimpleRouter()
router.register("clients", ClientViewSet, basename="client")
router.register("kinds", KindViewSet, basename="kind")
router.register("connectors", ConnectorViewSet, basename="connector")
router.register("events", EventViewSet, basename="event")
router.register("deliveries", DeliveryViewSet, basename="delivery")
router.register("bulk-retries", BulkRetryViewSet, basename="bulk-retry")

tokens = "connectors/<id:connector_pk>/tokens/"
rules = "connectors/<id:connector_pk>/mapping-rules/<str:direction>/"
v1 = [
    *router.urls,
    path(tokens, TokenViewSet.as_view({"get": "list", "post": "create"}), name="token-list"),
    path(f"{tokens}register/", TokenViewSet.as_view({"post": "register"}), name="token-register"),
    path(f"{tokens}<id:pk>/revoke/", TokenViewSet.as_view({"post": "revoke"}), name="token-revoke"),
    path(rules, MappingRulesViewSet.as_view({"get": "retrieve"}), name="mapping-rules"),
    path(f"{rules}validate/", MappingRulesViewSet.as_view({"post": "validate"}), name="mapping-rules-validate"),
    path(f"{rules}versions/", MappingRulesViewSet.as_view({"post": "save"}), name="mapping-rules-save"),
    path(f"{rules}versions/<number:number>/", MappingRulesViewSet.as_view({"get": "version"}), name="mapping-version"),
    path(
        f"{rules}versions/<number:number>/restore/",
        MappingRulesViewSet.as_view({"post": "restore"}),
        name="mapping-rules-restore",
    ),
]

urlpatterns = [
    path("v1/", include((v1, "api"), namespace="v1")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
