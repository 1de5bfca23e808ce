"""API keys in the admin: issued for a user and shown once, then only their prefix; revoked, never deleted."""

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from api.keys import api_key_issue, api_key_revoke
from api.models import ApiKey

if TYPE_CHECKING:
    _ApiKeyModelAdmin = admin.ModelAdmin[ApiKey]
else:  # ModelAdmin takes no type argument at run time
    _ApiKeyModelAdmin = admin.ModelAdmin

KEY_FIELDS = ("prefix", "user", "label", "created_at", "created_by", "last_used_at", "expires_at", "revoked_at")


@admin.register(ApiKey)
class ApiKeyAdmin(_ApiKeyModelAdmin):
    list_display = KEY_FIELDS
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("prefix", "label", "user__username")
    list_select_related = ("user", "created_by")
    autocomplete_fields = ("user",)
    actions = ("keys_revoke",)

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> tuple[str, ...]:
        return KEY_FIELDS if obj else ("user", "label", "expires_at")

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> tuple[str, ...]:
        return tuple(f for f in KEY_FIELDS if f not in ("label", "expires_at")) if obj else ()

    def has_delete_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        return False  # revoked instead, so the history of who could call the API stays

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method != "POST":
            return super().add_view(request, form_url, extra_context)
        form_class = self.get_form(request, None, change=False)
        form = form_class(request.POST)
        if not form.is_valid():
            return super().add_view(request, form_url, extra_context)
        data = form.cleaned_data
        staff = cast(User, request.user)  # the admin answers only a signed-in staff user
        issued = api_key_issue(user=data["user"], label=data["label"], expires_at=data["expires_at"], created_by=staff)
        self.log_addition(request, issued.key, f"Issued API key {issued.key.prefix}… for {issued.key.user}")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "API key issued",
            "issued": issued,
        }
        # admin_view marks the response no-store, so the key stays out of caches.
        return TemplateResponse(request, "admin/api/apikey/issued.html", context)

    @admin.action(description="Revoke selected API keys", permissions=["change"])
    def keys_revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        revoked = [key for key in queryset if key.revoked_at is None]
        for key in revoked:
            api_key_revoke(key=key)
            self.log_change(request, key, "Revoked.")
        self.message_user(request, f"{len(revoked)} API key(s) revoked.", messages.SUCCESS)
