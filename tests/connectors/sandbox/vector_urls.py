"""Routes the published AIR test-vector paths to the AIR sandbox, so the vectors can be sent to it."""

from django.urls import path

from connectors.sandbox import air, views

_trigger = views.upstream_endpoint(upstream=air.NAME, handle=air.air_services_trigger)

urlpatterns = [
    path("wallet/555555", _trigger),
    path("some/path", _trigger),
]
