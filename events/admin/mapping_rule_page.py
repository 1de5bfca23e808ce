"""One rule's page of the "Mapping rules" admin: the rule as a form (``RuleEditor``), previewed on
a stored event or a sample, saved into the connector's rule set, or deleted from it. The service's
problems are shown next to the field they concern; the others at the top of the page.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from events.admin.mapping_editor import RuleEditor
from events.admin.mapping_forms import RulePageForm
from events.admin.mapping_pages import MappingPagesAdmin, int_or_none, preview_context
from events.rule_models import MappingRuleSet
from events.rules.mapping_preview import Preview
from events.rules.mapping_rules import (
    MappingRulesConflict,
    MappingRulesInvalid,
    RuleProblem,
    mapping_rules_applying,
    mapping_rules_save,
)

RULE_CHANGE_ACTIONS = frozenset({"_save", "_delete_rule"})


class RulePageAdmin(MappingPagesAdmin):
    """The per-rule page, a part of the rule set's admin (``events.admin.mapping``)."""

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
            **preview_context(preview),
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
                expected_version=int_or_none(request.POST.get("base_version")),
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


def _rule_problems(editor: RuleEditor, problems: list[RuleProblem], index: int) -> list[RuleProblem]:
    """Place the problems of rule ``index`` on the editor's fields; the rest (other rules, the set,
    the preview's event) are listed at the top of the page."""
    own = [(p.field, p.message) for p in problems if p.index == index]
    unplaced = {(field, message) for field, message in editor.problems_place(own)}
    return [p for p in problems if p.index != index or (p.field, p.message) in unplaced]


def _message_add(data: QueryDict) -> None:
    """One more message in the posted rule form: a track call to fill in, with no rows yet."""
    index = int_or_none(data.get("msg-TOTAL_FORMS")) or 0
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
