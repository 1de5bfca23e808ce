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

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from connectors.kinds.registry import kind_get
from events.admin_mapping_forms import ConnectorPickForm, RuleEditor, RulePageForm, RulesForm
from events.models import Event, MappingRuleSet, MappingRuleSetVersion
from events.services.mapping_preview import (
    mapping_preview_event_get,
    mapping_preview_sources,
    mapping_rules_preview,
)
from events.services.mapping_rules import (
    MappingRulesConflict,
    MappingRulesInvalid,
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


def _pretty(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _message_label(message) -> str:
    if not isinstance(message, dict):
        return "?"
    event = message.get("event")
    if isinstance(event, str):
        return f"{message.get('type')} “{event}”"
    if isinstance(event, dict) and len(event) == 1:
        return f"{message.get('type')} ({next(iter(event.values()))})"
    return str(message.get("type"))


@admin.register(MappingRuleSet)
class MappingRuleSetAdmin(admin.ModelAdmin):
    list_display = ("connector", "client", "kind", "applying", "version", "updated_at", "updated_by")
    list_select_related = ("connector__client", "updated_by")
    list_filter = ("connector__kind",)
    search_fields = ("connector__name", "connector__client__name")

    @admin.display(ordering="connector__client__name")
    def client(self, obj):
        return obj.connector.client

    @admin.display(description="kind")
    def kind(self, obj):
        return kind_get(obj.connector.kind).label

    @admin.display(description="rules that apply")
    def applying(self, obj):
        return "The kind's defaults" if obj.uses_defaults else f"Its own ({len(obj.rules)} rules)"

    def has_add_permission(self, request):
        return self.has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False  # "Reset to defaults" drops a connector's rules and keeps their history

    def get_urls(self):
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

    def add_view(self, request, form_url="", extra_context=None):
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

    def _rule_set(self, request, object_id) -> tuple[MappingRuleSet, bool]:
        rule_set = get_object_or_404(MappingRuleSet.objects.select_related("connector__client"), pk=object_id)
        if not self.has_view_or_change_permission(request, rule_set):
            raise PermissionDenied
        return rule_set, self.has_change_permission(request, rule_set)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The rule set: its rules listed (the default tab) or as JSON (``?tab=json``), its history."""
        rule_set, can_change = self._rule_set(request, object_id)
        if request.method == "POST" and CHANGE_ACTIONS.intersection(request.POST):
            if not can_change:
                raise PermissionDenied
            return self._change_action(request, rule_set)
        return self._editor(request, rule_set, can_change=can_change)

    def _change_action(self, request, rule_set):
        """Copy-defaults and reset act at once; save validates first and stays on the page when refused."""
        who = {"connector": rule_set.connector, "direction": rule_set.direction, "user": request.user}
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

    def restore_view(self, request, object_id, number):
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

    def _log_version(self, request, rule_set, version) -> None:
        text = f"Version {version.number}: {version.get_action_display()}. {version.summary}".strip()
        self.log_change(request, rule_set, text)
        self.message_user(request, text, messages.SUCCESS)

    def _sources(self, rule_set) -> list[tuple[str, list[tuple[str, str]]]]:
        events, samples = mapping_preview_sources(connector=rule_set.connector, direction=rule_set.direction)
        return [
            (
                "Stored events",
                [(f"event:{e.pk}", f"{e.received_at:%Y-%m-%d %H:%M} {e.event_type} · {e.public_id}") for e in events],
            ),
            ("Samples", [(f"sample:{name}", name) for name in samples]),
        ]

    def _context(self, request, rule_set, **extra) -> dict:
        connector = rule_set.connector
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": rule_set,
            "rule_set": rule_set,
            "kind": kind_get(connector.kind),
            **extra,
        }

    def _editor(self, request, rule_set, *, can_change: bool, problems=None):
        connector = rule_set.connector
        rule_set.refresh_from_db()
        applying = mapping_rules_applying(rule_set=rule_set)
        initial = {"rules": _pretty(applying), "base_version": rule_set.version}
        data = None
        if request.method == "POST":
            # A read-only viewer previews the rules in force, whatever the page posted.
            data = request.POST if can_change else {**initial, **_preview_choice(request.POST)}
        form = RulesForm(data, initial=initial, sources=self._sources(rule_set), read_only=not can_change)
        preview, preview_problems = None, []
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

    def rule_view(self, request, object_id, position=None):
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
        problems, preview = [], None
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

    def _rule_save(self, request, rule_set, rules, *, position):
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

    def _preview(self, request, rule_set, edited_rules):
        """(preview, problems) of the edited rules on the event or sample the page picked."""
        who = {"connector": rule_set.connector, "direction": rule_set.direction}
        choice = _preview_choice(request.POST)
        kind_of, _, value = choice["preview_source"].partition(":")
        event = sample = None
        try:
            if choice["preview_event"].strip():
                event = mapping_preview_event_get(**who, public_id=choice["preview_event"])
            elif kind_of == "event" and value:
                event = Event.objects.filter(pk=_int(value)).first()
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


def _preview_choice(data) -> dict[str, str]:
    return {name: data.get(name, "") for name in ("preview_source", "preview_event")}


def _preview_context(preview) -> dict:
    if preview is None:
        return {}
    return {
        "preview_context": _pretty(preview.context),
        "preview_current": _pretty(preview.current.requests),
        "preview_edited": _pretty(preview.edited.requests) if preview.edited else "",
    }


def _rule_problems(editor: RuleEditor, problems: list, index: int) -> list:
    """Place the problems of rule ``index`` on the editor's fields; the rest (other rules, the set,
    the preview's event) are listed at the top of the page."""
    own = [(p.field, p.message) for p in problems if p.index == index]
    unplaced = {(field, message) for field, message in editor.problems_place(own)}
    return [p for p in problems if p.index != index or (p.field, p.message) in unplaced]


def _message_add(data) -> None:
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


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
