"""The "Mapping rules" admin: a connector's rules listed one per row, each edited on a page of its
own (name, event type, condition, messages, and each property and trait as a row, problems shown
next to the field they concern), the whole set still editable as JSON; both previewed on a stored
event or a sample as what the Segment messages become against the rules in force, before saving.
Copy-the-defaults, reset, and a history whose versions restore in one click. Integration staff
edit (``change_mappingruleset``); anyone with the view permission sees the same pages read-only
and may still preview.

Opening a connector's rules for the first time creates its empty rule set (the kind's defaults
keep applying), so opening needs the change permission rather than a separate add permission.

Here: the admin and the rule set's page. One rule's page is ``mapping_rule_page``, what both pages
share ``mapping_pages``; their forms are ``mapping_forms`` and the rule editor ``mapping_editor``.
"""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from connectors.kinds.registry import kind_get
from connectors.models import Client
from events.admin.mapping_forms import ConnectorPickForm, RulesForm
from events.admin.mapping_pages import RuleSetBy, int_or_none, pretty, preview_choice, preview_context
from events.admin.mapping_rule_page import RulePageAdmin
from events.rule_models import MappingRuleSet, MappingRuleSetVersion
from events.rules.mapping_preview import Preview
from events.rules.mapping_rules import (
    MappingRulesConflict,
    MappingRulesInvalid,
    RuleProblem,
    mapping_rule_set_get,
    mapping_rules_applying,
    mapping_rules_copy_defaults,
    mapping_rules_parse,
    mapping_rules_reset,
    mapping_rules_restore,
    mapping_rules_save,
)

HISTORY_SHOWN = 50
CHANGE_ACTIONS = frozenset({"_save", "_copy_defaults", "_reset"})


def _message_label(message: object) -> str:
    if not isinstance(message, dict):
        return "?"
    event = message.get("event")
    if isinstance(event, str):
        return f"{message.get('type')} “{event}”"
    if isinstance(event, dict) and len(event) == 1:
        return f"{message.get('type')} ({next(iter(event.values()))})"
    return str(message.get("type"))


@admin.register(MappingRuleSet)
class MappingRuleSetAdmin(RulePageAdmin):
    list_display = ("connector", "client", "kind", "applying", "version", "updated_at", "updated_by")
    list_select_related = ("connector__client", "updated_by")
    list_filter = ("connector__kind",)
    search_fields = ("connector__name", "connector__client__name")

    @admin.display(ordering="connector__client__name")
    def client(self, obj: MappingRuleSet) -> Client:
        return obj.connector.client

    @admin.display(description="kind")
    def kind(self, obj: MappingRuleSet) -> str:
        return kind_get(obj.connector.kind).label

    @admin.display(description="rules that apply")
    def applying(self, obj: MappingRuleSet) -> str:
        # uses_defaults is rules being None, which mypy cannot see through the property.
        return "The kind's defaults" if obj.rules is None else f"Its own ({len(obj.rules)} rules)"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: MappingRuleSet | None = None) -> bool:
        return False  # "Reset to defaults" drops a connector's rules and keeps their history

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/restore/<int:number>/",
                self.admin_site.admin_view(self.restore_view),
                name="events_mappingruleset_restore",
            ),
            path(
                "<int:object_id>/rules/<int:position>/",
                self.admin_site.admin_view(self.rule_view),
                name="events_mappingruleset_rule",
            ),
            path(
                "<int:object_id>/rules/add/",
                self.admin_site.admin_view(self.rule_view),
                name="events_mappingruleset_rule_add",
            ),
            *super().get_urls(),
        ]

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Pick a connector whose kind has mapping rules; its rule set opens in the editor."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ConnectorPickForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            connector = form.cleaned_data["connector"]
            kind = kind_get(connector.kind)
            rule_set = mapping_rule_set_get(connector=connector, direction=next(iter(kind.default_rules)))
            self.log_addition(request, rule_set, "Opened the mapping rules")
            return redirect("admin:events_mappingruleset_change", rule_set.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Edit a connector's mapping rules",
            "form": form,
        }
        return TemplateResponse(request, "admin/events/mapping/connector_pick.html", context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The rule set: its rules listed (the default tab) or as JSON (``?tab=json``), its history."""
        rule_set, can_change = self._rule_set(request, object_id)
        if request.method == "POST" and CHANGE_ACTIONS.intersection(request.POST):
            if not can_change:
                raise PermissionDenied
            return self._change_action(request, rule_set)
        return self._editor(request, rule_set, can_change=can_change)

    def _change_action(self, request: HttpRequest, rule_set: MappingRuleSet) -> HttpResponse:
        """Copy-defaults and reset act at once; save validates first and stays on the page when refused."""
        who: RuleSetBy = {"connector": rule_set.connector, "direction": rule_set.direction, "user": request.user}
        comment = request.POST.get("comment", "")
        if "_copy_defaults" in request.POST:
            version = mapping_rules_copy_defaults(**who, comment=comment)
        elif "_reset" in request.POST:
            version = mapping_rules_reset(**who, comment=comment)
        else:
            try:
                rules = mapping_rules_parse(text=request.POST.get("rules", ""))
                version = mapping_rules_save(
                    **who,
                    rules=rules,
                    comment=comment,
                    expected_version=int_or_none(request.POST.get("base_version")),
                )
            except MappingRulesInvalid as invalid:
                self.message_user(request, "Not saved: fix the problems listed below.", messages.ERROR)
                return self._editor(request, rule_set, can_change=True, problems=invalid.problems)
            except MappingRulesConflict as conflict:
                self.message_user(request, f"Not saved: {conflict}", messages.ERROR)
                return self._editor(request, rule_set, can_change=True)
        self._log_version(request, rule_set, version)
        tab = "?tab=json" if "rules" in request.POST else ""
        return redirect(reverse("admin:events_mappingruleset_change", args=[rule_set.pk]) + tab)

    def restore_view(self, request: HttpRequest, object_id: int, number: int) -> HttpResponse:
        rule_set = get_object_or_404(MappingRuleSet, pk=object_id)
        if request.method != "POST" or not self.has_change_permission(request, rule_set):
            raise PermissionDenied
        version = get_object_or_404(MappingRuleSetVersion, rule_set=rule_set, number=number)
        try:
            restored = mapping_rules_restore(version=version, user=request.user)
        except MappingRulesInvalid as invalid:
            self.message_user(request, f"Version {number} cannot be restored: {invalid}", messages.ERROR)
        else:
            self._log_version(request, rule_set, restored)
        return redirect("admin:events_mappingruleset_change", rule_set.pk)

    def _editor(
        self,
        request: HttpRequest,
        rule_set: MappingRuleSet,
        *,
        can_change: bool,
        problems: list[RuleProblem] | None = None,
    ) -> HttpResponse:
        connector = rule_set.connector
        rule_set.refresh_from_db()
        applying = mapping_rules_applying(rule_set=rule_set)
        initial = {"rules": pretty(applying), "base_version": rule_set.version}
        data: QueryDict | dict[str, Any] | None = None
        if request.method == "POST":
            # A read-only viewer previews the rules in force, whatever the page posted.
            data = request.POST if can_change else {**initial, **preview_choice(request.POST)}
        form = RulesForm(data, initial=initial, sources=self._sources(rule_set), read_only=not can_change)
        preview: Preview | None = None
        preview_problems: list[RuleProblem] = []
        if request.method == "POST" and "_preview" in request.POST:
            try:
                edited = mapping_rules_parse(text=form.data.get("rules", ""))
            except MappingRulesInvalid as invalid:
                preview_problems = invalid.problems
            else:
                preview, preview_problems = self._preview(request, rule_set, edited)
        json_tab = request.GET.get("tab") == "json" or request.method == "POST"
        versions = list(rule_set.versions.select_related("created_by")[:HISTORY_SHOWN])
        context = self._context(
            request,
            rule_set,
            title=f"Mapping rules: {connector.client} / {connector.name}",
            tab="json" if json_tab else "rules",
            form=form,
            can_change=can_change,
            problems=(problems or []) + preview_problems,
            preview=preview,
            rules=[
                {
                    "position": position,
                    "rule": rule,
                    "messages": [_message_label(m) for m in rule.get("messages") or []],
                }
                for position, rule in enumerate(applying, start=1)
            ],
            versions=[(v, pretty(v.rules) if v.rules is not None else "") for v in versions],
            **preview_context(preview),
        )
        return TemplateResponse(request, "admin/events/mapping/edit.html", context)
