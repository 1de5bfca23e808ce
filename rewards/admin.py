from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from rewards.models import RewardLedgerEntry, TriggerReference


@admin.register(TriggerReference)
class TriggerReferenceAdmin(admin.ModelAdmin):
    list_display = ("reference", "connector", "description", "air_campaign_id", "active", "created_at")
    list_filter = ("active", "connector")
    list_select_related = ("connector__client",)
    search_fields = ("reference",)
    readonly_fields = ("created_at",)
    fieldsets = ((None, {"fields": ("connector", "reference", "description", "air_campaign_id", "active")}),)


def admin_link(url_name: str, obj) -> str:
    """A link to the object's admin page, or its plain name while that page does not exist."""
    if obj is None:
        return "-"
    try:
        url = reverse(url_name, args=[obj.pk])
    except NoReverseMatch:
        return str(obj)
    return format_html('<a href="{}">{}</a>', url, obj)


@admin.register(RewardLedgerEntry)
class RewardLedgerEntryAdmin(admin.ModelAdmin):
    list_display = (
        "requested_at",
        "identity",
        "connector",
        "trigger_references",
        "wallet_transaction_reference",
        "status",
        "points_awarded",
        "wallet_transaction_id",
        "follow_up",
    )
    list_filter = ("status", "connector")
    list_select_related = ("connector__client",)
    search_fields = ("identity__exact", "wallet_transaction_reference__exact", "wallet_transaction_id__exact")
    search_help_text = "An exact identity value, wallet transaction reference or wallet transaction id."
    show_full_result_count = False
    ordering = ("-requested_at",)
    fieldsets = (
        (None, {"fields": ("connector", "identity", "trigger_references", "wallet_transaction_reference")}),
        (
            "Outcome",
            {"fields": ("status", "reason", "wallet_transaction_id", "points_awarded", "coupons_awarded")},
        ),
        ("Chain", {"fields": ("request_event_link", "delivery_link", "follow_up_event_link")}),
        ("Times", {"fields": ("requested_at", "settled_at", "linked_at")}),
    )
    readonly_fields = (
        "connector",
        "identity",
        "trigger_references",
        "wallet_transaction_reference",
        "status",
        "reason",
        "wallet_transaction_id",
        "points_awarded",
        "coupons_awarded",
        "request_event_link",
        "delivery_link",
        "follow_up_event_link",
        "requested_at",
        "settled_at",
        "linked_at",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="request event")
    def request_event_link(self, entry):
        return admin_link("admin:events_event_change", entry.request_event)

    @admin.display(description="delivery")
    def delivery_link(self, entry):
        return admin_link("admin:events_delivery_change", entry.delivery)

    @admin.display(description="AIR notification")
    def follow_up_event_link(self, entry):
        return admin_link("admin:events_event_change", entry.follow_up_event)

    @admin.display(description="notified", boolean=True)
    def follow_up(self, entry):
        return entry.follow_up_event_id is not None
