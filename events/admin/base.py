"""What the delivery-log admins share: read-only, counted without COUNT(*), coloured statuses,
support actions that require ``events.retry_delivery`` and leave a line in the history, both on
the list and as buttons on one row's page (asked, confirmed, then done), and JSON shown formatted."""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from events.admin.paginators import LargeTablePaginator
from events.console.params import console_params_check

RETRY_PERMISSION = "events.retry_delivery"
EXACT_COUNT_PARAM = "exact_count"
SEARCH_HELP = (
    "An exact value: any identity of the customer (customer id, card number, mobile), a wallet id, "
    "an AIR order or transaction reference, a Segment messageId, an AIR event id or an event's UUID."
)

BADGE_COLOURS = {
    "succeeded": "#1e7e34",
    "delivered": "#1e7e34",
    "completed": "#1e7e34",
    "active": "#1e7e34",
    # Translated only says requests were built: not an outcome, so not green.
    "translated": "#495057",
    "accepted": "#0b5ed7",
    "pending": "#0b5ed7",
    "sending": "#0b5ed7",
    "running": "#0b5ed7",
    "delivering": "#0b5ed7",
    "retrying": "#b35c00",
    "held": "#6f42c1",
    "paused": "#6f42c1",
    "failed": "#b02a37",
    "refused": "#b02a37",
    "disabled": "#b02a37",
    "cancelled": "#6c757d",
    "ignored": "#6c757d",
}


def status_badge(value: str, label: str) -> SafeString:
    colour = BADGE_COLOURS.get(value, "#6c757d")
    return format_html(
        '<span style="background:{};color:#fff;border-radius:10px;padding:2px 8px;'
        'font-size:11px;font-weight:600;white-space:nowrap">{}</span>',
        colour,
        label,
    )


def json_block(value: Any, *, summary: str, open_: bool = True) -> SafeString:
    """A JSON value as support reads it: indented, folded under ``summary``, the raw form (as
    stored, on one line) one click away."""
    return format_html(
        '<details class="ee-json"{}><summary>{}</summary><pre>{}</pre>'
        '<details class="ee-json-raw"><summary>Raw</summary><pre>{}</pre></details></details>',
        " open" if open_ else "",
        summary,
        json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False),
        json.dumps(value, ensure_ascii=False, separators=(",", ":")),
    )


def text_block(text: str, *, summary: str, open_: bool = True) -> SafeString:
    """A request or response body: formatted when it is JSON, as sent when it is not."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return format_html(
            '<details class="ee-json"{}><summary>{}</summary><pre>{}</pre></details>',
            " open" if open_ else "", summary, text,
        )
    return json_block(value, summary=summary, open_=open_)


_M = TypeVar("_M", bound=Model)

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin
else:

    class _ModelAdmin(admin.ModelAdmin, Generic[_M]):
        """ModelAdmin takes no type argument at run time: this one does, for the log admins."""


@dataclass(frozen=True)
class ObjectAction(Generic[_M]):
    """A support action as a button on one row's page: ``applies`` says whether the button shows,
    ``run`` does it and says what was done (the message shown and written to the history)."""

    name: str  # its URL: <pk>/<name>/
    label: str
    question: str  # the confirmation page's question; {obj} is the row
    explanation: str
    applies: Callable[[_M], bool]
    run: Callable[[_M, User | AnonymousUser], str]  # (row, user) → what was done


class LogAdmin(_ModelAdmin[_M]):
    """Read-only: the log is append-only and pruned by retention, never edited by hand."""

    show_full_result_count = False
    paginator = LargeTablePaginator
    list_per_page = 50
    object_actions: tuple[ObjectAction[_M], ...] = ()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(RETRY_PERMISSION)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # Each log model (Event, Delivery) has a Status choice; the stubs know only Model.
        statuses: list[str] = cast(Any, self.model).Status.values
        refused = console_params_check(params=request.GET, statuses=statuses)
        if refused:
            # Each refused value is named, and the list is shown without it: never a server error,
            # never a filter silently dropped.
            for message in refused.values():
                self.message_user(request, message, messages.ERROR)
            query = request.GET.copy()
            for name in refused:
                query.pop(name)
            return redirect(f"{request.path}?{query.urlencode()}")
        # "Exact count" is a request to the paginator, not a filter the changelist knows.
        query = request.GET.copy()
        # The stubs type GET as immutable; the changelist reads this copy without the parameter.
        request.GET = query  # type: ignore[assignment]
        # A note on this request for get_paginator below.
        request.exact_count = query.pop(EXACT_COUNT_PARAM, None) is not None  # type: ignore[attr-defined]
        return super().changelist_view(request, extra_context)

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: QuerySet[_M],
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> "Paginator[_M]":  # Paginator takes no type argument at run time
        return self.paginator(
            queryset,
            per_page,
            orphans,
            allow_empty_first_page,
            exact=getattr(request, "exact_count", False),
        )

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        # Read by the change list template's "exact count" link.
        changelist.exact_count_url = changelist.get_query_string({EXACT_COUNT_PARAM: "1"})  # type: ignore[attr-defined]
        return changelist

    def log_support_action(self, request: HttpRequest, objects: Iterable[Model], message: str) -> None:
        for obj in objects:
            # The stubs tie log_change to this admin's model; the history takes any row (a delivery's
            # replay records its events).
            self.log_change(request, obj, message)  # type: ignore[arg-type]

    # --- buttons on one row's page ---------------------------------------------------------------

    def _object_action_url_name(self) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_object_action"

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.object_action_view)
        return [path("<int:pk>/do/<str:name>/", view, name=self._object_action_url_name()), *super().get_urls()]

    def object_action_buttons(self, request: HttpRequest, obj: _M | None) -> list[tuple[str, str]]:
        """(label, confirmation page URL) of the actions that apply to ``obj``, for who may do them."""
        if obj is None or not self.has_retry_permission(request):
            return []
        name = f"admin:{self._object_action_url_name()}"
        return [
            (action.label, reverse(name, args=[obj.pk, action.name]))
            for action in self.object_actions
            if action.applies(obj)
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), "object_actions": self.object_action_buttons(request, obj)}
        return super().change_view(request, object_id, form_url, extra_context)

    def object_action_view(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        """GET asks (what will happen, to what); POST does it, records who in the history and
        goes back to the row's page. Only for who may retry; a button that no longer applies (the
        row changed meanwhile) does nothing and says so."""
        if not self.has_retry_permission(request):
            raise PermissionDenied
        action = next((a for a in self.object_actions if a.name == name), None)
        if action is None:
            raise Http404(f"No action {name!r} here.")
        obj = get_object_or_404(self.get_queryset(request), pk=pk)
        change_url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])
        if not action.applies(obj):
            self.message_user(request, f"{action.label}: not possible any more, nothing was done.", messages.WARNING)
            return redirect(change_url)
        if request.method == "POST":
            done = action.run(obj, request.user)
            self.log_change(request, obj, done)
            self.message_user(request, done, messages.SUCCESS)
            return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": obj,
            "title": action.question.format(obj=obj),
            "action": action,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/events/confirm_action.html", context)
