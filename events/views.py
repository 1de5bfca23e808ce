"""Webhook endpoints and health checks. A webhook is bounded, authenticated and parsed here, then
handed to the intake service (``events.intake``), which every way in shares; every refusal says
what was wrong and stores nothing."""

import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import DatabaseError, DataError, IntegrityError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from kombu.exceptions import OperationalError as BrokerUnavailable
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from connectors.kinds.base import PayloadInvalid
from connectors.models import Connector
from connectors.services import connectors_secrets_unreadable
from core.logs import log_context_bind
from events.delivery.queue import broker_check
from events.intake.callers import Caller, caller_answer
from events.intake.store import Received
from events.intake.webhook import WebhookRefused, connector_rate_count, webhook_authenticate, webhook_receive
from events.intake.webhook_body import BodyRefused, webhook_body_parse, webhook_body_too_large

TRACE_HEADER = "X-EES-Connector-Trace-Id"
logger = logging.getLogger(__name__)
UNAVAILABLE = "The platform cannot store events right now; retry later"
INTERNAL = "The platform failed to receive this webhook; a retry is safe (a repeat is recognised)"
# PostgreSQL's "program limit exceeded" (SQLSTATE class 54) is an OperationalError too, but a
# retry of the same body meets the same limit: the body's fault, not an outage.
_LIMIT_SQLSTATE_CLASS = "54"


def _unavailable(exc: Exception) -> bool:
    """Whether a database or broker error means the service is down (503) rather than the body is bad."""
    if isinstance(exc, BrokerUnavailable):
        return True
    sqlstate = getattr(exc.__cause__, "sqlstate", None) or ""
    return not sqlstate.startswith(_LIMIT_SQLSTATE_CLASS)


def _error(
    status: int, message: str, errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None
) -> JsonResponse:
    body: dict[str, Any] = {"message": message}
    if errors is not None:
        body["errors"] = errors
    return JsonResponse(body, status=status, headers=headers)


class StatusView(APIView):
    def get(self, request: Request) -> Response:
        return Response({"api": "ee-connect", "version": settings.VERSION, "tagline": "Eagle Eye AIR ⇄ Segment"})


# Connectors named in /readyz's answer at most; the count is always given.
READY_IDS_SHOWN = 20


class ReadyView(APIView):
    def get(self, request: Request) -> Response:
        down: dict[str, str] = {}
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError as exc:
            down["database"] = str(exc)
        try:
            broker_check(timeout=2)
        except Exception as exc:  # any broker error means "not ready"
            down["broker"] = str(exc) or type(exc).__name__
        if "database" not in down:
            unreadable = connectors_secrets_unreadable()
            if unreadable:
                # By admin id only: this answer is public, and names of clients or webhook URLs are not.
                shown = ", ".join(str(pk) for pk in unreadable[:READY_IDS_SHOWN])
                more = f" and {len(unreadable) - READY_IDS_SHOWN} more" if len(unreadable) > READY_IDS_SHOWN else ""
                down["connector_secrets"] = (
                    f"{len(unreadable)} connector(s) have secrets no key in ENCRYPTION_KEYS decrypts "
                    f"(admin ids {shown}{more}): put back the key that encrypted them, or enter their secrets again"
                )
        if down:
            return Response({"status": "unavailable", "down": down}, status=503)
        return Response({"status": "ready"})


@method_decorator(csrf_exempt, name="dispatch")
class WebhookView(View):
    """``POST /in/segment/<id>`` and ``POST /out/segment/<id>``: a plain Django view (nothing of a
    REST framework's negotiation is needed on the platform's busiest path). It bounds and reads
    the body, has intake authenticate the caller (``events.intake.webhook``), parses the body,
    calls intake, and answers; every refusal says what was wrong and stores nothing."""

    direction: str = ""
    http_method_names = ["post"]
    # This request's place in its connector's rate count: counted once, even when a remembered
    # caller that changed makes the request answered a second time (one view instance per request).
    rate_counted: int | None = None

    def _over_rate(self, connector: Connector) -> bool:
        limit = connector.rate_limit_per_second
        if not limit:
            return False
        if self.rate_counted is None:
            self.rate_counted = connector_rate_count(connector)
        return self.rate_counted > limit

    def http_method_not_allowed(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        return _error(405, f"Method {request.method} not allowed; send the event with POST", headers={"Allow": "POST"})

    def _read_body(self, request: HttpRequest) -> bytes | None:
        """At most the limit plus one byte is read, whatever the sender declared.

        A chunked body has no Content-Length, so Django's stream reads nothing of it; a server that
        de-chunks it says so with ``wsgi.input_terminated`` (gunicorn does), and its own stream then
        ends where the body does.
        """
        limit = settings.WEBHOOK_MAX_BODY_BYTES
        stream = request
        if not request.META.get("CONTENT_LENGTH") and request.META.get("wsgi.input_terminated"):
            stream = request.META["wsgi.input"]
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = stream.read(limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return None if size > limit else b"".join(chunks)

    def post(self, request: HttpRequest, connector_id: uuid.UUID) -> JsonResponse:
        """503 only when the database or the broker cannot be reached: the sender retries later. A
        value the database refuses is the body's (400: the same body would be refused again). Any
        other failure is a defect: logged, and answered with the documented JSON error."""
        refused: Exception
        try:
            return self._receive(request, connector_id)
        except (OperationalError, InterfaceError, BrokerUnavailable) as exc:
            if _unavailable(exc):
                logger.exception("Database or broker unavailable while receiving for connector %s", connector_id)
                return _error(503, UNAVAILABLE, headers={"Retry-After": "5"})
            refused = exc
        except (DataError, IntegrityError, ValueError, OverflowError) as exc:
            refused = exc
        except Exception:
            logger.exception("Receiving a webhook for connector %s failed", connector_id)
            return _error(500, INTERNAL, [])
        logger.warning("A webhook for connector %s was refused by storage", connector_id, exc_info=refused)
        return _error(400, "The body holds a value that cannot be stored", [{"path": "", "message": str(refused)}])

    def _receive(self, request: HttpRequest, connector_id: uuid.UUID) -> JsonResponse:
        declared = request.META.get("CONTENT_LENGTH") or ""
        over = declared.isdigit() and int(declared) > settings.WEBHOOK_MAX_BODY_BYTES
        raw_body = None if over else self._read_body(request)
        if raw_body is None:
            too_large = webhook_body_too_large()
            return _error(too_large.status, too_large.message)
        return caller_answer(
            public_id=connector_id,
            direction=self.direction,
            presented_token=request.META.get("HTTP_X_AUTH_TOKEN", ""),
            answer=lambda caller, remembered: self._answer(request, caller, raw_body, remembered=remembered),
            accepted=lambda response: response.status_code == 200,
        )

    def _answer(self, request: HttpRequest, caller: Caller, raw_body: bytes, *, remembered: bool) -> JsonResponse:
        if caller.connector is not None:  # for the log lines and the metrics (config/middleware.py)
            log_context_bind(connector=str(caller.connector.public_id))
        try:
            connector = webhook_authenticate(
                caller=caller, direction=self.direction, body=raw_body, headers=request.headers,
                presented_token=request.META.get("HTTP_X_AUTH_TOKEN", ""),
            )
        except WebhookRefused as exc:
            retry_after = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
            return _error(exc.status, exc.message, headers=retry_after)
        # The stubs allow None for a bare HttpRequest; a WSGI or ASGI request always sets the content
        # type and its parameters (to "" and {} without the header).
        if request.content_type.lower() != "application/json":  # type: ignore[union-attr]
            return _error(415, "Content-Type must be application/json")
        if self._over_rate(connector):
            return _error(429, "Too many requests for this connector", headers={"Retry-After": "1"})
        try:
            charset = request.content_params.get("charset", "")  # type: ignore[union-attr]  # see above
            payload, raw_body = webhook_body_parse(body=raw_body, charset=charset)
        except BodyRefused as exc:
            return _error(exc.status, exc.message, [{"path": e.path, "message": e.message} for e in exc.errors])
        try:
            received = webhook_receive(
                caller=caller, direction=self.direction, payload=payload, body=raw_body, remembered=remembered
            )
        except PayloadInvalid as exc:
            errors = [{"path": error.path, "message": error.message} for error in exc.errors]
            return _error(400, exc.message, errors)
        return self._accepted(received)

    def _accepted(self, received: list[Received]) -> JsonResponse:
        """200 when anything was received: one event's id, or for several the received ids, how many
        of them were duplicates, and each error of a message refused alone (its index in the batch,
        the field's path, why, and the id of the refused event support can look up)."""
        body: dict[str, Any] = {"status": "OK"}
        if len(received) == 1:
            item = received[0]
            trace_id = str(item.event.public_id)
            body["event_id"] = trace_id
            log_context_bind(event_id=trace_id)
            if item.duplicate:
                body["duplicate"] = True
            return JsonResponse(body, status=200, headers={TRACE_HEADER: trace_id})
        accepted = [item for item in received if not item.refused]
        body["event_ids"] = [str(item.event.public_id) for item in accepted]
        body["duplicates"] = sum(item.duplicate for item in accepted)
        refused = [
            {"index": item.index, "path": error.path, "message": error.message, "event_id": str(item.event.public_id)}
            for item in received
            for error in item.refused
        ]
        if refused:
            body["refused"] = refused
        return JsonResponse(body, status=200, headers={TRACE_HEADER: str(uuid.uuid4())})
