"""Every refusal of the Config API has one shape, as the webhooks' have:
``{"message": "...", "errors": [{"path": "settings.currency", "message": "..."}]}``.

``path`` names the field in the request body or query (dots for objects, ``[i]`` for list items);
it is empty for what concerns the request as a whole.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

API_PATH = "/api/"
INVALID = "The request is invalid: see errors."


def _flatten(detail: object, path: str = "") -> list[dict[str, str]]:
    if isinstance(detail, dict):
        return [
            error
            for key, value in detail.items()
            for error in _flatten(value, path if key == "non_field_errors" else f"{path}.{key}" if path else str(key))
        ]
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return [{"path": path, "message": str(item)} for item in detail]
        return [error for index, item in enumerate(detail) for error in _flatten(item, f"{path}[{index}]")]
    return [{"path": path, "message": str(detail)}]


def error_body(message: str, errors: list[dict[str, str]] | None = None) -> dict[str, str | list[dict[str, str]]]:
    return {"message": message, "errors": errors or []}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exceptions (and Django's 404, 403 and validation errors) in the project's error shape; anything else is
    left to Django (a 500, logged, and reported where error tracking is on)."""
    if isinstance(exc, DjangoValidationError):  # a model's full_clean inside a service
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) if str(exc) else None)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) if str(exc) else None)
    if not isinstance(exc, exceptions.APIException):
        return None
    headers: dict[str, str] = {}
    # Set on the exception by DRF's view (auth_header) or by throttling (wait).
    if auth_header := getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = auth_header
    if wait := getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(wait))
    if isinstance(exc, exceptions.ValidationError):
        body = error_body(INVALID, _flatten(exc.detail))
    else:
        body = error_body(str(exc.detail), getattr(exc, "errors", None))
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A path under /api/ that matches no endpoint answers in the API's shape; others as Django does."""
    if request.path.startswith(API_PATH):
        return JsonResponse(error_body("No such endpoint."), status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """A 500 under /api/ answers in the API's shape, like the webhooks' 500; others get the branded page."""
    if request.path.startswith(API_PATH):
        return JsonResponse(
            error_body("Internal error: the request was not completed; it is logged."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    return defaults.server_error(request)
