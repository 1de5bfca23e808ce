"""The delivery log through the support console's services: find events and deliveries with its
filters, read one with its attempts, and act on them (retry, cancel, replay, bulk retry)."""

from collections.abc import Iterable

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from api.schema import ErrorSerializer
from api.serializers.log import (
    BulkRetryFilterSerializer,
    BulkRetryJobSerializer,
    DeliveryDetailSerializer,
    DeliveryFilterSerializer,
    DeliverySerializer,
    EventDetailSerializer,
    EventFilterSerializer,
    EventSerializer,
)
from api.views.base import ApiViewSet, NewestFirst, ReceivedNewestFirst
from connectors.kinds.base import PayloadInvalid
from core.groups import EVENTS_RETRY_PERMISSION
from events.console.actions import (
    CANCELLABLE,
    RETRYABLE_BY_HAND,
    deliveries_cancel,
    deliveries_retry_now,
    event_replay,
)
from events.console.log import (
    bulk_retry_count,
    bulk_retry_job_cancel,
    bulk_retry_job_create,
    deliveries_filter,
    event_chain,
    events_filter,
)
from events.console.params import console_filters_describe
from events.models import BulkRetryJob, Delivery, Event

RETRY = f"events.{EVENTS_RETRY_PERMISSION}"


class Conflict(APIException):
    """The object is not in a state the action applies to; ``errors`` say what stands in the way."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"

    def __init__(self, detail: str, errors: list[dict[str, str]] | None = None):
        super().__init__(detail)
        self.errors = errors or []


CONFLICT = OpenApiResponse(ErrorSerializer, description="Not in a state this action applies to.")


def _statuses(statuses: Iterable[Delivery.Status]) -> str:
    return ", ".join(str(value) for value in statuses)


class EventViewSet(mixins.RetrieveModelMixin, ApiViewSet[Event]):
    queryset = Event.objects.all()
    pagination_class = ReceivedNewestFirst
    required_permissions = {
        "list": ("events.view_event",),
        "retrieve": ("events.view_event", "events.view_delivery"),
        "replay": (RETRY,),
    }

    def get_serializer_class(self) -> type[BaseSerializer[Event]]:
        return EventDetailSerializer if self.action == "retrieve" else EventSerializer

    @extend_schema(parameters=[EventFilterSerializer])
    def list(self, request: Request) -> Response:
        filters = EventFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        events = events_filter(queryset=Event.objects.defer("payload", "context"), params=filters.params())
        page = self.paginate_queryset(events)
        return self.get_paginated_response(EventSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        event = self.get_object()
        chain = event_chain(event=event)
        # Read by EventDetailSerializer for this answer only: no field of the model.
        event.chain_deliveries = chain["deliveries"]  # type: ignore[attr-defined]
        event.follow_up_ids = [follow_up.pk for follow_up in chain["follow_ups"]]  # type: ignore[attr-defined]
        event.caused_by_ids = [cause.pk for cause in chain["caused_by"]]  # type: ignore[attr-defined]
        return Response(EventDetailSerializer(event).data)

    @extend_schema(
        request=None,
        responses={201: inline_serializer("Replayed", {"deliveries": DeliverySerializer(many=True)}), 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: str | None = None) -> Response:
        """Translate the event again with the current mapping rules and deliver the result as new deliveries."""
        event = self.get_object()
        if event.status == Event.Status.REFUSED:
            raise Conflict("A refused message was never usable: there is nothing to replay.")
        try:
            deliveries = event_replay(event=event, user=request.user)
        except PayloadInvalid as unreadable:
            errors = [{"path": f"payload.{error.path}", "message": error.message} for error in unreadable.errors]
            raise Conflict(
                f"The stored payload cannot be read again by the connector's kind: {unreadable.message}.", errors
            ) from None
        return Response({"deliveries": DeliverySerializer(deliveries, many=True).data}, status=status.HTTP_201_CREATED)


class DeliveryViewSet(mixins.RetrieveModelMixin, ApiViewSet[Delivery]):
    queryset = Delivery.objects.select_related("event").prefetch_related("attempt_log__triggered_by")
    pagination_class = NewestFirst
    required_permissions = {
        "list": ("events.view_delivery",),
        "retrieve": ("events.view_delivery",),
        "retry": (RETRY,),
        "cancel": (RETRY,),
    }

    def get_serializer_class(self) -> type[BaseSerializer[Delivery]]:
        return DeliveryDetailSerializer if self.action == "retrieve" else DeliverySerializer

    @extend_schema(parameters=[DeliveryFilterSerializer])
    def list(self, request: Request) -> Response:
        filters = DeliveryFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        deliveries = deliveries_filter(queryset=Delivery.objects.defer("body", "result"), params=filters.params())
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(request=None, responses={200: DeliverySerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        """Make the delivery due now, whatever its schedule."""
        delivery = self.get_object()
        if not deliveries_retry_now(delivery_ids=[delivery.pk], user=request.user):
            raise Conflict(
                f"Delivery {delivery.pk} is {delivery.status}: only {_statuses(RETRYABLE_BY_HAND)} deliveries "
                "of a connector that is not disabled are retried."
            )
        delivery.refresh_from_db()
        return Response(DeliverySerializer(delivery).data)

    @extend_schema(request=None, responses={200: DeliverySerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Cancel a delivery that has not been sent for good."""
        delivery = self.get_object()
        if not deliveries_cancel(delivery_ids=[delivery.pk], user=request.user):
            raise Conflict(
                f"Delivery {delivery.pk} is {delivery.status}: only {_statuses(CANCELLABLE)} deliveries are cancelled."
            )
        delivery.refresh_from_db()
        return Response(DeliverySerializer(delivery).data)


class BulkRetryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet[BulkRetryJob]):
    """Retry every failed delivery a filter matches, as a tracked job run by a worker."""

    queryset = BulkRetryJob.objects.select_related("created_by", "cancelled_by")
    serializer_class = BulkRetryJobSerializer
    pagination_class = NewestFirst
    required_permissions = {
        "list": ("events.view_bulkretryjob",),
        "retrieve": ("events.view_bulkretryjob",),
        "count": (RETRY,),
        "create": (RETRY,),
        "cancel": (RETRY,),
    }

    @extend_schema(
        parameters=[BulkRetryFilterSerializer],
        responses={200: inline_serializer("BulkRetryCount", {"count": serializers.IntegerField()})},
    )
    @action(detail=False, methods=["get"])
    def count(self, request: Request) -> Response:
        """How many failed deliveries the filters match now: what a job would retry."""
        filters = BulkRetryFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return Response({"count": bulk_retry_count(filters=filters.params())})

    @extend_schema(request=BulkRetryFilterSerializer, responses={201: BulkRetryJobSerializer})
    def create(self, request: Request) -> Response:
        """Start a job retrying the failed deliveries the filters match (a relative period is fixed to times now)."""
        filters = BulkRetryFilterSerializer(data=request.data)
        filters.is_valid(raise_exception=True)
        params = filters.params()
        job = bulk_retry_job_create(filters=params, description=console_filters_describe(params), user=request.user)
        return Response(BulkRetryJobSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: BulkRetryJobSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Stop a job that has not finished; deliveries it already queued still go out."""
        job = self.get_object()
        if not bulk_retry_job_cancel(job=job, user=request.user):
            raise Conflict(f"Bulk retry {job.pk} is {job.status}: only a pending or running job is cancelled.")
        job.refresh_from_db()
        return Response(BulkRetryJobSerializer(job).data)
