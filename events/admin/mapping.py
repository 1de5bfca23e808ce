"""The "Mapping rules" admin: a connector's rules listed one per row, each edited on a page of its
own (name, event type, condition, messages, and each property and trait as a row, problems shown
next to the field they concern), the whole set still editable as JSON; both previewed on a stored
event or a sample as what the Segment messages become against the rules in force, before saving.
Copy-the-defaults, reset, and a history whose versions restore in one click. Integration staff
edit (``change_mappingruleset``); anyone with the view permission sees the same pages read-only
and may still preview.

Opening a connector's rules for the first time creates its empty rule set (the kind's defaults
keep applying), so opening needs the change permission rather than a separate add permission.
"""

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib import admin, messages
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from connectors.kinds.registry import kind_get
from connectors.models import Client, Connector
from events.admin.mapping_forms import ConnectorPickForm, RuleEditor, RulePageForm, RulesForm
from events.models import Event
from events.rule_models import MappingRuleSet, MappingRuleSetVersion
from events.rules.mapping_preview import (
    Preview,
    mapping_preview_event_get,
    mapping_preview_sources,
    mapping_rules_preview,
)
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
RULE_CHANGE_ACTIONS = frozenset({"_save", "_delete_rule"})

if TYPE_CHECKING:
    _MappingRuleSetModelAdmin = admin.ModelAdmin[MappingRuleSet]
else:  # ModelAdmin takes no type argument at run time
    _MappingRuleSetModelAdmin = admin.ModelAdmin


class _RuleSetOf(TypedDict):
    connector: Connector
    direction: str


class _RuleSetBy(_RuleSetOf):
    user: User | AnonymousUser


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


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
class MappingRuleSetAdmin(_MappingRuleSetModelAdmin):
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

    def _rule_set(self, request: HttpRequest, object_id: str | int) -> tuple[MappingRuleSet, bool]:
        rule_set = get_object_or_404(MappingRuleSet.objects.select_related("connector__client"), pk=object_id)
        if not self.has_view_or_change_permission(request, rule_set):
            raise PermissionDenied
        return rule_set, self.has_change_permission(request, rule_set)

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
        who: _RuleSetBy = {"connector": rule_set.connector, "direction": rule_set.direction, "user": request.user}
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
                    expected_version=_int(request.POST.get("base_version")),
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

    def _log_version(
        self, request: HttpRequest, rule_set: MappingRuleSet, version: MappingRuleSetVersion
    ) -> None:
        text = f"Version {version.number}: {version.get_action_display()}. {version.summary}".strip()
        self.log_change(request, rule_set, text)
        self.message_user(request, text, messages.SUCCESS)

    def _sources(self, rule_set: MappingRuleSet) -> list[tuple[str, list[tuple[str, str]]]]:
        events, samples = mapping_preview_sources(connector=rule_set.connector, direction=rule_set.direction)
        return [
            (
                "Stored events",
                [(f"event:{e.pk}", f"{e.received_at:%Y-%m-%d %H:%M} {e.event_type} · {e.public_id}") for e in events],
            ),
            ("Samples", [(f"sample:{name}", name) for name in samples]),
        ]

    def _context(self, request: HttpRequest, rule_set: MappingRuleSet, **extra: Any) -> dict[str, Any]:
        connector = rule_set.connector
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": rule_set,
            "rule_set": rule_set,
            "kind": kind_get(connector.kind),
            **extra,
        }

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
        initial = {"rules": _pretty(applying), "base_version": rule_set.version}
        data: QueryDict | dict[str, Any] | None = None
        if request.method == "POST":
            # A read-only viewer previews the rules in force, whatever the page posted.
            data = request.POST if can_change else {**initial, **_preview_choice(request.POST)}
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
            versions=[(v, _pretty(v.rules) if v.rules is not None else "") for v in versions],
            **_preview_context(preview),
        )
        return TemplateResponse(request, "admin/events/mapping/edit.html", context)

    def rule_view(self, request: HttpRequest, object_id: int, position: int | None = None) -> HttpResponse:
        """One rule as a form (``position`` counts from 1, as problems name rules; none: a new rule)."""
        rule_set, can_change = self._rule_set(request, object_id)
        rules = list(mapping_rules_applying(rule_set=rule_set))
        if position is not None and not 1 <= position <= len(rules):
            raise Http404(f"This connector has no rule {position}.")
        posted = request.POST if request.method == "POST" else None
        if not can_change and (position is None or (posted and RULE_CHANGE_ACTIONS.intersection(posted))):
            raise PermissionDenied
        original = rules[position - 1] if position is not None else None
        index = position if position is not None else len(rules) + 1
        # A read-only viewer's page shows (and previews) the rule in force, whatever it posted.
        data = posted.copy() if posted and can_change else None
        if data is not None and "_add_message" in data:
            _message_add(data)
        editor = RuleEditor(data, rule=original, read_only=not can_change)
        problems: list[RuleProblem] = []
        preview: Preview | None = None
        if data is not None and "_delete_rule" in data and position is not None:
            outcome = self._rule_save(request, rule_set, [*rules[: index - 1], *rules[index:]], position=None)
            if not isinstance(outcome, list):
                return outcome
            problems = outcome
        elif posted and ("_save" in posted or "_preview" in posted):
            rule = editor.rule() if can_change else original
            if rule is None:
                self.message_user(request, "Fix the fields marked below first.", messages.ERROR)
            elif "_save" in posted:
                edited = [*rules[: index - 1], rule, *rules[index:]]
                outcome = self._rule_save(request, rule_set, edited, position=index)
                if not isinstance(outcome, list):
                    return outcome
                problems = _rule_problems(editor, outcome, index)
            else:
                preview, found = self._preview(request, rule_set, [*rules[: index - 1], rule, *rules[index:]])
                problems = _rule_problems(editor, found, index) if can_change else found
        connector = rule_set.connector
        name = (original or {}).get("name") or "New rule"
        context = self._context(
            request,
            rule_set,
            title=f"{name}: {connector.client} / {connector.name}",
            position=position,
            editor=editor,
            page=RulePageForm(posted, initial={"base_version": rule_set.version}, sources=self._sources(rule_set)),
            can_change=can_change,
            problems=problems,
            preview=preview,
            **_preview_context(preview),
        )
        return TemplateResponse(request, "admin/events/mapping/rule.html", context)

    def _rule_save(
        self, request: HttpRequest, rule_set: MappingRuleSet, rules: list[dict[str, Any]], *, position: int | None
    ) -> HttpResponse | list[RuleProblem]:
        """Save the set with one rule changed (or removed, ``position`` ``None``): a redirect, or the
        problems to show when refused."""
        try:
            version = mapping_rules_save(
                connector=rule_set.connector,
                direction=rule_set.direction,
                rules=rules,
                user=request.user,
                comment=request.POST.get("comment", ""),
                expected_version=_int(request.POST.get("base_version")),
            )
        except MappingRulesInvalid as invalid:
            self.message_user(request, "Not saved: fix the problems marked below.", messages.ERROR)
            return invalid.problems
        except MappingRulesConflict as conflict:
            self.message_user(request, f"Not saved: {conflict}", messages.ERROR)
            return []
        self._log_version(request, rule_set, version)
        if position is None:
            return redirect("admin:events_mappingruleset_change", rule_set.pk)
        return redirect("admin:events_mappingruleset_rule", rule_set.pk, position)

    def _preview(
        self, request: HttpRequest, rule_set: MappingRuleSet, edited_rules: list[Any]
    ) -> tuple[Preview | None, list[RuleProblem]]:
        """(preview, problems) of the edited rules on the event or sample the page picked."""
        who: _RuleSetOf = {"connector": rule_set.connector, "direction": rule_set.direction}
        choice = _preview_choice(request.POST)
        kind_of, _, value = choice["preview_source"].partition(":")
        event: Event | None = None
        sample: str | None = None
        try:
            if choice["preview_event"].strip():
                event = mapping_preview_event_get(**who, public_id=choice["preview_event"])
            elif kind_of == "event" and value:
                # The stubs refuse pk=None, which Django matches to no row: a value that is no number
                # finds no event, and the page says so.
                event = Event.objects.filter(pk=_int(value)).first()  # type: ignore[misc]
                if event is None:
                    self.message_user(request, "That event is no longer stored.", messages.WARNING)
                    return None, []
            elif kind_of == "sample" and value:
                sample = value
            else:
                self.message_user(request, "Pick a stored event or a sample to preview on.", messages.WARNING)
                return None, []
            preview = mapping_rules_preview(**who, edited_rules=edited_rules, event=event, sample=sample)
        except MappingRulesInvalid as invalid:
            return None, invalid.problems
        return preview, preview.problems


def _preview_choice(data: Mapping[str, str]) -> dict[str, str]:
    return {name: data.get(name, "") for name in ("preview_source", "preview_event")}


def _preview_context(preview: Preview | None) -> dict[str, str]:
    if preview is None:
        return {}
    return {
        "preview_context": _pretty(preview.context),
        "preview_current": _pretty(preview.current.requests),
        "preview_edited": _pretty(preview.edited.requests) if preview.edited else "",
    }


def _rule_problems(editor: RuleEditor, problems: list[RuleProblem], index: int) -> list[RuleProblem]:
    """Place the problems of rule ``index`` on the editor's fields; the rest (other rules, the set,
    the preview's event) are listed at the top of the page."""
    own = [(p.field, p.message) for p in problems if p.index == index]
    unplaced = {(field, message) for field, message in editor.problems_place(own)}
    return [p for p in problems if p.index != index or (p.field, p.message) in unplaced]


def _message_add(data: QueryDict) -> None:
    """One more message in the posted rule form: a track call to fill in, with no rows yet."""
    index = _int(data.get("msg-TOTAL_FORMS")) or 0
    data.update(
        {
            "msg-TOTAL_FORMS": str(index + 1),
            f"msg-{index}-type": "track",
            f"msg-{index}-event_kind": "text",
            f"msg-{index}-user_id_kind": "path",
            f"msg-{index}-group_id_kind": "path",
            f"msg-{index}-rows-TOTAL_FORMS": "0",
            f"msg-{index}-rows-INITIAL_FORMS": "0",
        }
    )


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
