from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from config.metrics import metrics_view
from events import views as event_views

urlpatterns = [
    # The product is its console: the bare address opens it (the login first, when needed).
    path("", RedirectView.as_view(pattern_name="admin:index"), name="home"),
    path("favicon.ico", RedirectView.as_view(url=static("ee_connect/favicon.svg"))),
    path("status", event_views.StatusView.as_view(), name="status"),
    path("readyz", event_views.ReadyView.as_view(), name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("in/segment/status", event_views.StatusView.as_view(), name="in-status"),
    path("out/segment/status", event_views.StatusView.as_view(), name="out-status"),
    path("in/segment/<uuid:connector_id>", event_views.WebhookView.as_view(direction="in"), name="webhook-in"),
    path("out/segment/<uuid:connector_id>", event_views.WebhookView.as_view(direction="out"), name="webhook-out"),
    # Pasted with a trailing slash as often as without (Segment's connector URL field, AIR's
    # subscription): the same views, as a redirect would lose a POST's body.
    path("in/segment/<uuid:connector_id>/", event_views.WebhookView.as_view(direction="in")),
    path("out/segment/<uuid:connector_id>/", event_views.WebhookView.as_view(direction="out")),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    # Every sandbox view answers 404 unless SANDBOX_ENABLED (connectors.sandbox.views.sandbox_mounted).
    path("sandbox/", include("connectors.sandbox.urls")),
]

# A path under /api/ that matches nothing answers in the Config API's JSON error shape.
handler404 = "api.errors.not_found"
handler500 = "api.errors.server_error"
