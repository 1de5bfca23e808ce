"""What every Config API view shares: who may call (an API key or the admin's session), what each
action needs (``required_permissions``), JSON only, and refusals in the API's error shape."""

from rest_framework import viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer

from api.authentication import ApiKeyAuthentication
from api.errors import exception_handler
from api.permissions import ActionPermissions
from api.schema import ApiAutoSchema


class ApiViewSet(viewsets.GenericViewSet):
    authentication_classes = (ApiKeyAuthentication, SessionAuthentication)
    permission_classes = (ActionPermissions,)
    parser_classes = (JSONParser,)
    renderer_classes = (JSONRenderer,)
    schema = ApiAutoSchema()
    # action → the permissions it needs, as the admin requires them
    required_permissions: dict[str, tuple[str, ...]] = {}

    def get_exception_handler(self):
        return exception_handler


class NewestFirst(CursorPagination):
    """Pages of a log that grows while it is read: a cursor, so no row is skipped or shown twice,
    and no COUNT over the whole table."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200


class ReceivedNewestFirst(NewestFirst):
    ordering = ("-received_at", "-id")
