"""Mounted at ``/sandbox/`` when ``settings.SANDBOX_ENABLED`` (see each upstream's module)."""

from django.urls import path, register_converter

from connectors.sandbox import air, everflow, perkville, segment, views, voucherify
from connectors.sandbox.models import Upstream


class UpstreamConverter:
    regex = "|".join(Upstream.values)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(UpstreamConverter, "upstream")

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
    *voucherify.urls,
    *everflow.urls,
    *perkville.urls,
]
