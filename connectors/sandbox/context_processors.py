"""Whether the fake upstreams are mounted, for the admin's banner (templates/admin/base_site.html)."""

from django.conf import settings
from django.http import HttpRequest


def sandbox(request: HttpRequest) -> dict[str, bool]:
    return {"sandbox_enabled": settings.SANDBOX_ENABLED}
