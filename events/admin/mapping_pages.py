"""What the "Mapping rules" admin's pages share: the rule set they open (with the viewer's
permission), the page context, the history entry a save leaves, and the preview of edited rules on
a stored event or a sample. The rule set's page is ``events.admin.mapping``; one rule's page is
``events.admin.mapping_rule_page``.
"""

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib import admin, messages
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from connectors.kinds.registry import kind_get
from connectors.models import Connector
from events.models import Event
from events.rule_models import MappingRuleSet, MappingRuleSetVersion
from events.rules.mapping_preview import (
    Preview,
    mapping_preview_event_get,
    mapping_preview_sources,
    mapping_rules_preview,
)
from events.rules.mapping_rules import MappingRulesInvalid, RuleProblem

if TYPE_CHECKING:
    _MappingRuleSetModelAdmin = admin.ModelAdmin[MappingRuleSet]
else:  # ModelAdmin takes no type argument at run time
    _MappingRuleSetModelAdmin = admin.ModelAdmin


class RuleSetOf(TypedDict):
    connector: Connector
    direction: str


class RuleSetBy(RuleSetOf):
    user: User | AnonymousUser


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def int_or_none(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def preview_choice(data: Mapping[str, str]) -> dict[str, str]:
    return {name: data.get(name, "") for name in ("preview_source", "preview_event")}


def preview_context(preview: Preview | None) -> dict[str, str]:
    if preview is None:
        return {}
    return {
        "preview_context": pretty(preview.context),
        "preview_current": pretty(preview.current.requests),
        "preview_edited": pretty(preview.edited.requests) if preview.edited else "",
    }


class MappingPagesAdmin(_MappingRuleSetModelAdmin):
    """The helpers of the rule set's page and of one rule's page."""

    def _rule_set(self, request: HttpRequest, object_id: str | int) -> tuple[MappingRuleSet, bool]:
        rule_set = get_object_or_404(MappingRuleSet.objects.select_related("connector__client"), pk=object_id)
        if not self.has_view_or_change_permission(request, rule_set):
            raise PermissionDenied
        return rule_set, self.has_change_permission(request, rule_set)

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

    def _preview(
        self, request: HttpRequest, rule_set: MappingRuleSet, edited_rules: list[Any]
    ) -> tuple[Preview | None, list[RuleProblem]]:
        """(preview, problems) of the edited rules on the event or sample the page picked."""
        who: RuleSetOf = {"connector": rule_set.connector, "direction": rule_set.direction}
        choice = preview_choice(request.POST)
        kind_of, _, value = choice["preview_source"].partition(":")
        event: Event | None = None
        sample: str | None = None
        try:
            if choice["preview_event"].strip():
                event = mapping_preview_event_get(**who, public_id=choice["preview_event"])
            elif kind_of == "event" and value:
                # The stubs refuse pk=None, which Django matches to no row: a value that is no number
                # finds no event, and the page says so.
                event = Event.objects.filter(pk=int_or_none(value)).first()  # type: ignore[misc]
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
