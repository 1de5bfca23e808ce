"""Every request runs in its own log context; a webhook's answer is also counted, timed and logged."""

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from config.metrics import webhook_observe
from core.logs import log_context, log_context_bind, log_context_get
from events.views import TRACE_HEADER, WebhookView

logger = logging.getLogger("ee_connect.webhooks")


class RequestObservationMiddleware:
    """First in ``MIDDLEWARE``: the time measured is Django's whole handling of the request.

    The webhook view binds the connector and the event id it answered to the context; the line
    logged here for each webhook then carries them with the trace id, at no query's cost."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with log_context():
            started = time.perf_counter()
            response = self.get_response(request)
            view = getattr(request.resolver_match, "func", None)
            if getattr(view, "view_class", None) is WebhookView:
                seconds = time.perf_counter() - started
                direction = view.view_initkwargs["direction"]  # type: ignore[union-attr]
                log_context_bind(trace_id=response.headers.get(TRACE_HEADER))
                webhook_observe(
                    connector=log_context_get().get("connector", ""),
                    direction=direction,
                    status=response.status_code,
                    seconds=seconds,
                )
                logger.info("webhook %s answered %s in %.1f ms", direction, response.status_code, seconds * 1000)
            return response
