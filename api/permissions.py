"""The Config API grants what the admin grants: each action names the Django permissions the admin
requires for the same thing (``core.groups`` gives them to Integration staff and Support)."""

from typing import TYPE_CHECKING, Any, cast

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

if TYPE_CHECKING:
    from api.views.base import ApiViewSet


class ActionPermissions(BasePermission):
    """The caller needs every permission the view lists for the action; an action not listed is refused."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        # Only the Config API's views use this permission class.
        api_view = cast("ApiViewSet[Any]", view)
        required = api_view.required_permissions.get(api_view.action)
        return required is not None and user.has_perms(required)
