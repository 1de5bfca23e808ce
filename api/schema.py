"""What drf-spectacular needs beyond the serializers: only the Config API is described, every
operation lists the refusals it may answer (in the error shape of ``api.errors``), and the
API key is a security scheme."""

from collections.abc import Callable
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import Direction
from rest_framework import serializers

from api.serializers.strict import ID_PATTERN, NUMBER_PATTERN

API_PREFIX = "/api/v1/"


# An endpoint as drf-spectacular lists it: path, path regex, method, view.
Endpoint = tuple[str, str, str, Callable[..., Any]]


def endpoints_api_only(endpoints: list[Endpoint], **kwargs: object) -> list[Endpoint]:
    """Leave out the health checks and webhooks: they are not part of the Config API."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(API_PREFIX)]


def path_ids_as_integers(result: dict[str, Any], **kwargs: object) -> dict[str, Any]:
    """Ids and numbers in paths are matched by digit patterns (``api.serializers.strict``); the
    schema says what they are: integers up to the largest the pattern admits."""
    for digits in (ID_PATTERN, NUMBER_PATTERN):
        largest = 10 ** int(digits.split(",")[1].rstrip("}")) - 1
        for operations in result["paths"].values():
            for operation in operations.values():
                for parameter in operation.get("parameters", []):
                    if parameter["in"] == "path" and parameter["schema"].get("pattern") == f"^{digits}$":
                        parameter["schema"] = {"type": "integer", "minimum": 0, "maximum": largest}
    return result


class FieldErrorSerializer(serializers.Serializer[dict[str, str]]):
    path = serializers.CharField(help_text="The field, e.g. settings.currency or rules[0].name; empty for the request.")
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer[dict[str, Any]]):
    message = serializers.CharField()
    # A declared field is taken out of the class by SerializerMetaclass: it does not replace the
    # ``errors`` property, whatever the stubs see.
    errors = FieldErrorSerializer(many=True)  # type: ignore[assignment]


# Every operation may be refused for these; a body or path that can be invalid adds 400 and 404.
ERRORS_ALWAYS = {"401": "No valid API key or session.", "403": "The caller lacks the permission this needs."}
ERRORS_INPUT = {
    "400": "Invalid input: each error names its field.",
    "404": "No such object.",
    "405": "Method not allowed.",
    "406": "Only JSON is answered.",
    "415": "Only JSON is read.",
}


class ApiAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Direction = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code, description in {**ERRORS_ALWAYS, **ERRORS_INPUT}.items():
            if code not in responses:
                # drf-spectacular leaves this helper unannotated.
                responses[code] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    ErrorSerializer, code, direction=direction
                )
                responses[code]["description"] = description
        return responses


# drf-spectacular leaves the extension registry's __init_subclass__ unannotated.
class ApiKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key issued in the admin or with `manage.py api_key_issue`: "
            "`Authorization: Bearer <key>` (or `Api-Key <key>`).",
        }
