"""What every Config API view shares: who may call (an API key or the admin's session), what each
action needs (``required_permissions``), JSON only, and refusals in the API's error shape."""

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import Model
from rest_framework import viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import ApiKeyAuthentication
from api.errors import exception_handler
from api.permissions import ActionPermissions
from api.schema import ApiAutoSchema
from api.serializers.strict import ID_PATTERN

# The model a view set reads, covariant as DRF's own view sets' is.
_M = TypeVar("_M", bound=Model, covariant=True)


class ApiViewSet(viewsets.GenericViewSet[_M]):
    lookup_value_regex = ID_PATTERN
    authentication_classes = (ApiKeyAuthentication, SessionAuthentication)
    permission_classes = (ActionPermissions,)
    parser_classes = (JSONParser,)
    renderer_classes = (JSONRenderer,)
    schema = ApiAutoSchema()
    # action → the permissions it needs, as the admin requires them
    required_permissions: dict[str, tuple[str, ...]] = {}

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response | None]:
        return exception_handler


class NewestFirst(CursorPagination):
    """Pages of a log that grows while it is read: a cursor, so no row is skipped or shown twice,
    and no COUNT over the whole table. A bad ``limit`` or ``cursor`` is refused, not replaced."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        given = request.query_params.getlist(self.page_size_query_param)
        if not given:
            return self.page_size
        if len(given) > 1 or not given[0].isdigit() or not 1 <= int(given[0]) <= self.max_page_size:
            raise ValidationError({"limit": [f"A whole number from 1 to {self.max_page_size}, given once."]})
        return int(given[0])

    def decode_cursor(self, request: Request) -> Cursor | None:
        if len(request.query_params.getlist(self.cursor_query_param)) > 1:
            raise ValidationError({"cursor": ["Give the cursor once."]})
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": ["Not a cursor: follow a page's next or previous link."]}) from None

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


class ReceivedNewestFirst(NewestFirst):
    ordering = ("-received_at", "-id")
