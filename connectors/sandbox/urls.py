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
    *segment.urls,
    *air.urls,
    *voucherify.urls,
    *everflow.urls,
    *perkville.urls,
]
