"""Mounted at ``/sandbox/`` when ``settings.SANDBOX_ENABLED`` (see each upstream's module)."""

from django.urls import path, register_converter

from connectors.sandbox import air, partners, segment, views
from connectors.sandbox.models import Upstream


class UpstreamConverter:
    regex = "|".join(Upstream.values)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(UpstreamConverter, "upstream")

_everflow = views.upstream_endpoint(
    upstream=Upstream.EVERFLOW, handle=partners.everflow_postback, methods=("GET",)
)
_perkville = views.upstream_endpoint(upstream=Upstream.PERKVILLE, handle=partners.perkville_transactions)

urlpatterns = [
    path("<upstream:upstream>/received", views.received, name="sandbox-received"),
    path("<upstream:upstream>/behaviour", views.behaviour, name="sandbox-behaviour"),
    path(
        "segment/v1/batch",
        views.upstream_endpoint(upstream=Upstream.SEGMENT, handle=segment.segment_batch),
        name="sandbox-segment-batch",
    ),
    *(
        path(
            f"segment/v1/{message_type}",
            views.upstream_endpoint(upstream=Upstream.SEGMENT, handle=segment.segment_single(message_type)),
            name=f"sandbox-segment-{message_type}",
        )
        for message_type in segment.MESSAGE_TYPES
    ),
    path(
        "air/services/trigger",
        views.upstream_endpoint(upstream=Upstream.AIR, handle=air.air_services_trigger),
        name="sandbox-air-trigger",
    ),
    path(
        "voucherify/v1/customers",
        views.upstream_endpoint(upstream=Upstream.VOUCHERIFY, handle=partners.voucherify_customers),
        name="sandbox-voucherify-customers",
    ),
    path(
        "voucherify/v1/events",
        views.upstream_endpoint(upstream=Upstream.VOUCHERIFY, handle=partners.voucherify_events),
        name="sandbox-voucherify-events",
    ),
    path("everflow/", _everflow, name="sandbox-everflow-postback"),
    path("everflow", _everflow),
    path("perkville/v2/transactions/", _perkville, name="sandbox-perkville-transactions"),
    path("perkville/v2/transactions", _perkville),
]
