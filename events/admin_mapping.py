"""The "Mapping rules" admin: a connector's rules in one editor, previewed on a stored event or a
sample before saving, with copy-the-defaults, reset, and a history whose versions restore in one
click. Integration staff edit (``change_mappingruleset``); anyone with the view permission sees
the same page read-only and may still preview.

Opening a connector's rules for the first time creates its empty rule set (the kind's defaults
keep applying), so opening needs the change permission rather than a separate add permission.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path

from connectors.kinds.registry import kind_get
from connectors.models import Connector
from events.models import Event, MappingRuleSet, MappingRuleSetVersion
from events.services.mapping_preview import mapping_preview_sources, mapping_rules_preview
from events.services.mapping_rules import (
    MappingRulesConflict,
    MappingRulesInvalid,
    mapping_kinds,
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


def _pretty(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


class RulesForm(forms.Form):
    rules = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 30, "class": "mapping-rules-json", "spellcheck": "false"}),
        help_text="The connector's rules as a JSON list, in the form described below.",
    )
    comment = forms.CharField(required=False, max_length=500, help_text="Why, for the history.")
    base_version = forms.IntegerField(widget=forms.HiddenInput)
    preview_source = forms.ChoiceField(required=False, label="Preview on")

    def __init__(self, *args, sources: list[tuple[str, list[tuple[str, str]]]], read_only: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["preview_source"].choices = [("", "Pick a stored event or a sample"), *sources]
        if read_only:
            self.fields["rules"].widget.attrs["readonly"] = True
            self.fields["comment"].disabled = True


class ConnectorPickForm(forms.Form):
    connector = forms.ModelChoiceField(queryset=Connector.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connector"].queryset = (
            Connector.objects.filter(kind__in=mapping_kinds())
            .exclude(mapping_rule_sets__isnull=False)
            .select_related("client")
            .order_by("client__name", "name")
        )


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

    def change_view(self, request, object_id, form_url="", extra_context=None):
        rule_set = get_object_or_404(MappingRuleSet.objects.select_related("connector__client"), pk=object_id)
        if not self.has_view_or_change_permission(request, rule_set):
            raise PermissionDenied
        can_change = self.has_change_permission(request, rule_set)
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
        return redirect("admin:events_mappingruleset_change", rule_set.pk)

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

    def _editor(self, request, rule_set, *, can_change: bool, problems=None):
        connector = rule_set.connector
        rule_set.refresh_from_db()
        events, samples = mapping_preview_sources(connector=connector, direction=rule_set.direction)
        sources = [
            ("Stored events", [(f"event:{e.pk}", f"{e.received_at:%Y-%m-%d %H:%M:%S} {e}") for e in events]),
            ("Samples", [(f"sample:{name}", name) for name in samples]),
        ]
        initial = {
            "rules": _pretty(mapping_rules_applying(rule_set=rule_set)),
            "base_version": rule_set.version,
        }
        data = None
        if request.method == "POST":
            # A read-only viewer previews the rules in force, whatever the page posted.
            data = (
                request.POST
                if can_change
                else {**initial, "preview_source": request.POST.get("preview_source")}
            )
        form = RulesForm(data, initial=initial, sources=sources, read_only=not can_change)
        preview, preview_problems = None, []
        if request.method == "POST" and "_preview" in request.POST:
            preview, preview_problems = self._preview(request, rule_set, form)
        versions = list(rule_set.versions.select_related("created_by")[:HISTORY_SHOWN])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": rule_set,
            "title": f"Mapping rules: {connector.client} / {connector.name}",
            "rule_set": rule_set,
            "kind": kind_get(connector.kind),
            "form": form,
            "can_change": can_change,
            "problems": (problems or []) + preview_problems,
            "preview": preview,
            "versions": [(v, _pretty(v.rules) if v.rules is not None else "") for v in versions],
        }
        if preview is not None:
            context["preview_context"] = _pretty(preview.context)
            context["preview_current"] = _pretty(preview.current.requests)
            context["preview_edited"] = _pretty(preview.edited.requests) if preview.edited else ""
        return TemplateResponse(request, "admin/events/mapping/edit.html", context)

    def _preview(self, request, rule_set, form):
        source = request.POST.get("preview_source", "")
        kind_of, _, value = source.partition(":")
        if kind_of not in ("event", "sample") or not value:
            self.message_user(request, "Pick a stored event or a sample to preview on.", messages.WARNING)
            return None, []
        event = None
        if kind_of == "event":
            event = Event.objects.filter(pk=_int(value)).first()
            if event is None:
                self.message_user(request, "That event is no longer stored.", messages.WARNING)
                return None, []
        text = form.data.get("rules", "")
        try:
            edited = mapping_rules_parse(text=text)
            preview = mapping_rules_preview(
                connector=rule_set.connector,
                direction=rule_set.direction,
                edited_rules=edited,
                event=event,
                sample=value if kind_of == "sample" else None,
            )
        except MappingRulesInvalid as invalid:
            return None, invalid.problems
        return preview, preview.problems


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
