"""The delivery log (event → delivery → attempt), its search filters and bulk retries, as the
Config API shows them. Filters are the support console's (``events.console.log``)."""

from typing import Any

from django.contrib.auth.models import User
from rest_framework import serializers

from api.serializers.strict import ID_MAX, PAGE_PARAMS, StrictInput
from events.console.params import PERIODS, STATUS_CODE_CLASSES, console_params_check
from events.models import BulkRetryJob, Delivery, DeliveryAttempt, Direction, Event


class LogFilterSerializer(StrictInput, serializers.Serializer[dict[str, Any]]):
    """The console's filters; each is optional and they combine with AND. Their values are checked
    by the console's own ``console_params_check`` (a date that is no day, ``to`` before ``from``)."""

    statuses: tuple[str, ...] = tuple(Delivery.Status.values)

    connector = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX, help_text="A connector's id.")
    client = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX, help_text="A client's id.")
    direction = serializers.ChoiceField(choices=Direction.choices, required=False)
    event_type = serializers.CharField(required=False, max_length=120)
    period = serializers.ChoiceField(
        choices=list(PERIODS), required=False, help_text="The last hour, day or week."
    )
    # "from" is a Python keyword: the field is renamed in get_fields.
    from_ = serializers.CharField(required=False, help_text="From this ISO date or date-time.")
    to = serializers.CharField(required=False, help_text="Up to this ISO date-time, or to the end of this date.")
    q = serializers.CharField(
        required=False, max_length=200,
        help_text="An exact identity value, Segment messageId, AIR event id or wallet transaction reference.",
    )

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        refused = console_params_check(params=self._params(attrs), statuses=self.statuses)
        if refused:
            raise serializers.ValidationError({name: [message] for name, message in refused.items()})
        return attrs

    @staticmethod
    def _params(values: dict[str, Any]) -> dict[str, str]:
        return {name: str(value) for name, value in values.items()}

    def params(self) -> dict[str, str]:
        """The filters as the console's query-string parameters."""
        return self._params(self.validated_data)


class EventFilterSerializer(LogFilterSerializer):
    extra_params = PAGE_PARAMS
    statuses = tuple(Event.Status.values)
    status = serializers.ChoiceField(choices=Event.Status.choices, required=False)


class DeliveryFilterSerializer(LogFilterSerializer):
    extra_params = PAGE_PARAMS
    event = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX, help_text="An event's id.")
    status = serializers.ChoiceField(choices=Delivery.Status.choices, required=False)
    destination = serializers.CharField(required=False, max_length=20, help_text="e.g. segment, air.")
    code = serializers.ChoiceField(
        choices=STATUS_CODE_CLASSES, required=False, help_text="The last answer's status class; none: no answer."
    )


class BulkRetryFilterSerializer(LogFilterSerializer):
    """What a bulk retry retries: the failed deliveries these filters match."""

    destination = serializers.CharField(required=False, max_length=20)
    code = serializers.ChoiceField(choices=STATUS_CODE_CLASSES, required=False)
    event = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX, help_text="An event's id.")


class AttemptSerializer(serializers.ModelSerializer[DeliveryAttempt]):
    triggered_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = DeliveryAttempt
        fields = (
            "number", "trigger", "triggered_by", "started_at", "duration_ms", "method", "url",
            "request_headers", "request_body", "response_status", "response_headers", "response_body",
            "error_class", "error_message", "outcome",
        )
        read_only_fields = fields


DELIVERY_FIELDS = (
    "id", "event", "connector", "destination", "method", "url", "idempotency_key", "status", "attempts",
    "next_attempt_at", "last_status_code", "last_error", "delivered_at", "created_at", "updated_at",
    "replay_of", "notes",
)


class DeliverySerializer(serializers.ModelSerializer[Delivery]):
    class Meta:
        model = Delivery
        fields = DELIVERY_FIELDS
        read_only_fields = fields


class DeliveryDetailSerializer(serializers.ModelSerializer[Delivery]):
    attempts_made = AttemptSerializer(source="attempt_log", many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = (*DELIVERY_FIELDS, "body", "result", "attempts_made")
        read_only_fields = fields


EVENT_FIELDS = (
    "id", "public_id", "connector", "direction", "event_type", "source_event_id", "identity", "occurred_at",
    "received_at", "status", "error", "duplicate_count", "replayed_at",
)


class EventSerializer(serializers.ModelSerializer[Event]):
    class Meta:
        model = Event
        fields = EVENT_FIELDS
        read_only_fields = fields


class EventDetailSerializer(serializers.ModelSerializer[Event]):
    # Set by the view from ``event_chain``: the event's deliveries with their attempts, and the
    # events linked to it through the reward ledger.
    deliveries = DeliveryDetailSerializer(source="chain_deliveries", many=True, read_only=True)
    follow_ups = serializers.ListField(
        source="follow_up_ids", child=serializers.IntegerField(), read_only=True,
        help_text="Events the loyalty engine sent back for this one.",
    )
    caused_by = serializers.ListField(
        source="caused_by_ids", child=serializers.IntegerField(), read_only=True, help_text="Events this one answers."
    )

    class Meta:
        model = Event
        fields = (*EVENT_FIELDS, "payload", "context", "deliveries", "follow_ups", "caused_by")
        read_only_fields = fields


class BulkRetryJobSerializer(serializers.ModelSerializer[BulkRetryJob]):
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    cancelled_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = BulkRetryJob
        fields = (
            "id", "filters", "description", "status", "total", "processed", "queued", "created_at",
            "created_by", "started_at", "finished_at", "cancelled_by",
        )
        read_only_fields = fields
