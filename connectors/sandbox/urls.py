"""Mounted at ``/sandbox/`` when ``settings.SANDBOX_ENABLED``: every upstream of
:func:`connectors.sandbox.upstreams.upstreams` (see each upstream's module)."""

from django.urls import path, register_converter

from connectors.sandbox import views
from connectors.sandbox.upstreams import upstreams


class UpstreamConverter:
    regex = "|".join(upstreams())

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(UpstreamConverter, "upstream")

urlpatterns = [
    path("<upstream:upstream>/received", views.received, name="sandbox-received"),
    path("<upstream:upstream>/behaviour", views.behaviour, name="sandbox-behaviour"),
    *(pattern for upstream in upstreams().values() for pattern in upstream.urls),
]
