"""How the Config API knows its caller: an API key for machines, the admin's session for a browser."""

from django.contrib.auth.models import User
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from api.keys import api_key_verify
from api.models import ApiKey

SCHEMES = ("bearer", "api-key")


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <key>`` (or ``Api-Key <key>``): the key's user, with that user's permissions."""

    def authenticate(self, request: Request) -> tuple[User, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() not in SCHEMES:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the key as “Authorization: Bearer <key>”, without spaces.")
        key = api_key_verify(presented=header[1])
        if key is None:
            raise exceptions.AuthenticationFailed("This API key is unknown, revoked or expired.")
        if not key.user.is_active:
            raise exceptions.AuthenticationFailed("The user of this API key is inactive.")
        return key.user, key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
