"""HTTP face of the sandbox upstreams: build a Call, hand it to a service, send back the Reply."""

import json
from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from connectors.sandbox.services import (
    BehaviourInvalid,
    Call,
    Reply,
    behaviour_options,
    sandbox_behaviour_describe,
    sandbox_behaviour_set,
    sandbox_call,
    sandbox_received_clear,
    sandbox_received_list,
)

P = ParamSpec("P")


def _call(request: HttpRequest) -> Call:
    return Call(
        method=request.method or "",
        path=request.get_full_path(),
        query={key: request.GET.get(key, "") for key in request.GET},
        headers=dict(request.headers),
        body=request.body,
    )


def _response(reply: Reply) -> HttpResponse:
    if reply.body is None:
        response = HttpResponse(status=reply.status)
    else:
        response = JsonResponse(reply.body, status=reply.status, safe=False)
    for name, value in reply.headers.items():
        response[name] = value
    return response


def sandbox_mounted(
    view: Callable[Concatenate[HttpRequest, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """404 unless ``SANDBOX_ENABLED``: read per request, not when the URLs were first loaded, so
    the URL table never depends on what the setting was at that moment."""

    @wraps(view)
    def mounted(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        if not settings.SANDBOX_ENABLED:
            raise Http404("The sandbox is not enabled.")
        return view(request, *args, **kwargs)

    return mounted


def upstream_endpoint(
    *, upstream: str, handle: Callable[[Call], Reply], methods: tuple[str, ...] = ("POST",)
) -> Callable[[HttpRequest], HttpResponse]:
    """A view serving one API endpoint of an upstream through its behaviour and recording."""

    @sandbox_mounted
    @csrf_exempt
    @require_http_methods(list(methods))
    def view(request: HttpRequest) -> HttpResponse:
        return _response(sandbox_call(upstream=upstream, call=_call(request), handle=handle))

    view.__name__ = f"{upstream}_{handle.__name__}"
    return view


@sandbox_mounted
@csrf_exempt
@require_http_methods(["GET", "DELETE"])
def received(request: HttpRequest, upstream: str) -> HttpResponse:
    if request.method == "DELETE":
        sandbox_received_clear(upstream=upstream)
        return HttpResponse(status=204)
    return JsonResponse(sandbox_received_list(upstream=upstream))


@sandbox_mounted
@csrf_exempt
@require_http_methods(["GET", "POST"])
def behaviour(request: HttpRequest, upstream: str) -> HttpResponse:
    if request.method == "POST":
        try:
            options = behaviour_options(json.loads(request.body or b"{}"))
        except ValueError as error:
            message = str(error) if isinstance(error, BehaviourInvalid) else "The body is not valid JSON."
            return JsonResponse({"code": "invalid_behaviour", "message": message}, status=400)
        # behaviour_options always gives delay_ms and fail_first as whole numbers, never None; its
        # dict[str, int | None] cannot say which key may hold None.
        sandbox_behaviour_set(upstream=upstream, **options)  # type: ignore[arg-type]
    return JsonResponse(sandbox_behaviour_describe(upstream=upstream))
