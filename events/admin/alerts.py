"""The alerts admin: each client's alert channel (addresses, webhook URL, its signing secret shown
once, a test message) and the alerts raised, read-only. The active ones are also on the dashboard
(``templates/admin/events/alerts/active_panel.html``)."""

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, path
from django.utils.html import format_html

from events.alert_models import Alert, AlertChannel
from events.console.alert_channels import (
    AlertChannelInvalid,
    alert_channel_save,
    alert_channel_test,
    alert_channel_validate,
)

if TYPE_CHECKING:
    _AlertChannelModelForm = forms.ModelForm[AlertChannel]
    _AlertChannelModelAdmin = admin.ModelAdmin[AlertChannel]
    _AlertModelAdmin = admin.ModelAdmin[Alert]
else:  # ModelForm and ModelAdmin take no type argument at run time
    _AlertChannelModelForm = forms.ModelForm
    _AlertChannelModelAdmin = admin.ModelAdmin
    _AlertModelAdmin = admin.ModelAdmin


class AlertChannelForm(_AlertChannelModelForm):
    new_secret = forms.BooleanField(
        required=False, label="Make a new signing secret",
        help_text="The old one stops verifying at once; the new one is shown once, after saving.",
    )

    class Meta:
        model = AlertChannel
        fields = ("client", "emails", "webhook_url", "active")
        widgets = {
            "emails": forms.Textarea(attrs={"rows": 3}),
            "webhook_url": forms.TextInput(attrs={"size": 80}),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data, never None
        try:
            alert_channel_validate(emails=cleaned.get("emails", ""), webhook_url=cleaned.get("webhook_url", ""))
        except AlertChannelInvalid as exc:
            for field, message in exc.errors.items():
                self.add_error(field, message)
        return cleaned


@admin.register(AlertChannel)
class AlertChannelAdmin(_AlertChannelModelAdmin):
    form = AlertChannelForm
    list_display = ("client", "emails_shown", "webhook_url", "active")
    list_select_related = ("client",)
    list_filter = ("active",)
    search_fields = ("client__name", "emails", "webhook_url")
    change_form_template = "admin/events/alerts/channel_change_form.html"

    def get_readonly_fields(self, request: HttpRequest, obj: AlertChannel | None = None) -> tuple[str, ...]:
        return ("client",) if obj else ()

    @admin.display(description="email addresses")
    def emails_shown(self, obj: AlertChannel) -> str:
        return ", ".join(obj.email_list) or "—"

    def save_model(
        self, request: HttpRequest, obj: AlertChannel, form: _AlertChannelModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        channel, secret = alert_channel_save(
            client=obj.client, emails=data["emails"], webhook_url=data["webhook_url"], active=data["active"],
            new_secret=data["new_secret"],
        )
        obj.pk = channel.pk
        obj.refresh_from_db()
        if secret:
            # Shown once, in the next page's message; only its encrypted form is kept.
            messages.warning(request, format_html(
                "The webhook's signing secret, shown this once (copy it to the receiver): <code>{}</code>", secret
            ))

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:pk>/test/", self.admin_site.admin_view(self.test_view), name="events_alertchannel_test"
            ),
            *super().get_urls(),
        ]

    def test_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST" or not self.has_change_permission(request):
            raise PermissionDenied
        channel = get_object_or_404(AlertChannel.objects.select_related("client"), pk=pk)
        email, webhook = alert_channel_test(channel=channel)
        self.log_change(request, channel, "Sent a test alert")
        results = [
            f"Email: {email}" if email else "No email address.",
            f"Webhook: {webhook}" if webhook else "No webhook URL.",
        ]
        failed = any(result.startswith(("Not sent", "Refused")) for result in (email, webhook))
        self.message_user(request, " ".join(results), messages.ERROR if failed else messages.SUCCESS)
        return redirect("admin:events_alertchannel_change", channel.pk)


@admin.register(Alert)
class AlertAdmin(_AlertModelAdmin):
    list_display = ("raised_at", "condition", "title", "client", "email_result", "webhook_result")
    list_filter = ("condition", "client")
    list_select_related = ("client",)
    search_fields = ("title", "detail")
    date_hierarchy = "raised_at"
    fields = (
        "title", "condition", "client", "connector", "detail", "figures", "window_start", "window_end",
        "raised_at", "notified_at", "email_result", "webhook_result",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Alert | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Alert | None = None) -> bool:
        return False
