"""What drf-spectacular needs beyond the serializers: only the Config API is described, every
operation lists the refusals it may answer (in the error shape of ``api.errors``), and the
API key is a security scheme."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from api.serializers.strict import ID_PATTERN, NUMBER_PATTERN

API_PREFIX = "/api/v1/"


def endpoints_api_only(endpoints, **kwargs):
    """Leave out the health checks and webhooks: they are not part of the Config API."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(API_PREFIX)]


def path_ids_as_integers(result, **kwargs):
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


class FieldErrorSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="The field, e.g. settings.currency or rules[0].name; empty for the request.")
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
    errors = FieldErrorSerializer(many=True)


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
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, description in {**ERRORS_ALWAYS, **ERRORS_INPUT}.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                responses[code]["description"] = description
        return responses


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key issued in the admin or with `manage.py api_key_issue`: "
            "`Authorization: Bearer <key>` (or `Api-Key <key>`).",
        }
