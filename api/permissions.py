"""The Config API grants what the admin grants: each action names the Django permissions the admin
requires for the same thing (``connectors.groups`` gives them to Integration staff and Support)."""

from rest_framework.permissions import BasePermission


class ActionPermissions(BasePermission):
    """The caller needs every permission the view lists for the action; an action not listed is refused."""

    def has_permission(self, request, view):
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        required = view.required_permissions.get(view.action)
        return required is not None and user.has_perms(required)
