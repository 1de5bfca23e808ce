"""The "Mapping rules" admin's per-rule editor: one rule as fields (name, event type, condition,
enabled, order), its messages (type, event name, user id, group id, for_each) and each property,
trait and context value as a row (name, path / template / text / JSON value).

The forms only translate between the rule's JSON form and fields. Whether the rule is valid is
the mapping service's answer (``mapping_rules_save`` / ``mapping_rules_validate``); its problems,
which name a field path within the rule (``messages[1].properties.total.path``), are put back next
to the field or row they concern by :meth:`RuleEditor.problems_place`.

Building a rule keeps what the form does not change: a key the rule did not have is not added
with a blank value, a blank value the rule had stays as it was, and keys keep their order, so
saving an edit of one path changes exactly that path.
"""

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.forms import formset_factory
from django.http import QueryDict

from events.rules.mapping.engine import MESSAGE_TYPES

SECTIONS = (
    ("properties", "Property"),
    ("traits", "Trait"),
    ("context.traits", "Context trait"),
    ("context", "Context"),
)
SECTION_LABELS = dict(SECTIONS)
VALUE_KINDS = (
    ("path", "Path"),
    ("template", "Template"),
    ("text", "Text"),
    ("json", "JSON value"),
)
# The message fields whose value is a value spec (a path, a template or a literal).
SPEC_FIELDS = ("event", "user_id", "group_id")
_MESSAGE_FIELD = re.compile(r"messages\[(\d+)\](?:\.(.*))?$", re.DOTALL)


def value_row(spec: Any) -> tuple[str, str]:
    """A value spec as (kind, text) for a row: the inverse of :func:`value_spec`."""
    if isinstance(spec, dict) and len(spec) == 1:
        for kind in ("path", "template"):
            if isinstance(spec.get(kind), str):
                return kind, spec[kind]
    if isinstance(spec, str):
        return "text", spec
    return "json", json.dumps(spec, ensure_ascii=False)


def value_spec(kind: str, text: str) -> Any:
    """A row's (kind, text) as the value spec the engine reads; ValueError for unreadable JSON."""
    if kind == "path":
        return {"path": text}
    if kind == "template":
        return {"template": text}
    if kind == "text":
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"Not a JSON value ({error.msg}): write true, false, null, a number, \"text\", a list or an object."
        ) from None


def _single_spec(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and ("path" in value or "template" in value)


def _blank(value: Any) -> bool:
    return value is None or value == ""


def _put(target: dict[str, Any], original: dict[str, Any], key: str, value: Any, *, default: Any = None) -> None:
    """Set ``key`` unless that would only add a default the rule did not spell out."""
    if key in original and _blank(original[key]) and _blank(value):
        target[key] = original[key]
    elif key in original or value != default:
        target[key] = value


def _in_original_order(built: dict[str, Any], original: dict[str, Any]) -> dict[str, Any]:
    return {
        **{key: built[key] for key in original if key in built},
        **{key: value for key, value in built.items() if key not in original},
    }


class ValueRowForm(forms.Form):
    section = forms.ChoiceField(choices=SECTIONS)
    name = forms.CharField(max_length=200, required=False)
    kind = forms.ChoiceField(choices=VALUE_KINDS, initial="path", label="Value is a")
    value = forms.CharField(required=False, strip=False, widget=forms.TextInput(attrs={"size": 60}))

    def has_changed(self) -> bool:
        # A row added and left blank is no row: its section and kind have defaults of their own.
        return bool(self._field_data("name") or self._field_data("value"))

    def _field_data(self, name: str) -> str:
        text: str = self.data.get(self.add_prefix(name), "") if self.is_bound else self.initial.get(name, "")
        return text

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data, never None
        if not data.get("name"):
            self.add_error("name", "A name is required.")
        if data.get("kind") and "value" in data:
            try:
                data["spec"] = value_spec(data["kind"], data["value"])
            except ValueError as error:
                self.add_error("value", str(error))
        return data


if TYPE_CHECKING:
    _ValueRowFormSetBase = forms.BaseFormSet[ValueRowForm]
else:  # BaseFormSet takes no type argument at run time
    _ValueRowFormSetBase = forms.BaseFormSet


class BaseValueRowFormSet(_ValueRowFormSetBase):
    def clean(self) -> None:
        seen: set[tuple[str, str]] = set()
        for form in self.forms:
            # _should_delete_form is BaseFormSet's, missing from the stubs.
            if not form.has_changed() or self._should_delete_form(form) or not form.is_valid():  # type: ignore[attr-defined]
                continue
            key = (form.cleaned_data["section"], form.cleaned_data["name"])
            if key in seen:
                form.add_error("name", f"Appears twice among the {SECTION_LABELS[key[0]].lower()} rows.")
            seen.add(key)


ValueRowFormSet = formset_factory(ValueRowForm, formset=BaseValueRowFormSet, extra=0, can_delete=True)


class MessageForm(forms.Form):
    type = forms.ChoiceField(choices=[(t, t) for t in MESSAGE_TYPES])
    event_kind = forms.ChoiceField(choices=VALUE_KINDS, initial="text", label="Event name is a")
    event = forms.CharField(required=False, strip=False, label="Event name", widget=forms.TextInput(attrs={"size": 50}))
    user_id_kind = forms.ChoiceField(choices=VALUE_KINDS, initial="path", label="User id is a")
    user_id = forms.CharField(required=False, strip=False, label="User id", widget=forms.TextInput(attrs={"size": 50}))
    group_id_kind = forms.ChoiceField(choices=VALUE_KINDS, initial="path", label="Group id is a")
    group_id = forms.CharField(
        required=False, strip=False, label="Group id", help_text="Group calls only.",
        widget=forms.TextInput(attrs={"size": 50}),
    )
    for_each = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"size": 50}),
        help_text="Optional JMESPath to a list: one message per element, reachable in paths as item.",
    )
    rows: "forms.BaseFormSet[ValueRowForm]"  # the message's value rows, set by RuleEditor

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data, never None
        for name in SPEC_FIELDS:
            text = data.get(name, "")
            if text == "":
                data[f"{name}_spec"] = None
                continue
            try:
                data[f"{name}_spec"] = value_spec(data.get(f"{name}_kind", "text"), text)
            except ValueError as error:
                self.add_error(name, str(error))
        return data


if TYPE_CHECKING:
    _MessageFormSetBase = forms.BaseFormSet[MessageForm]
else:  # BaseFormSet takes no type argument at run time
    _MessageFormSetBase = forms.BaseFormSet


class BaseMessageFormSet(_MessageFormSetBase):
    def _construct_form(self, i: int, **kwargs: Any) -> MessageForm:
        # A message added to the rule is validated even when left as it came: an empty one is an
        # error to fix or remove, not something to drop silently. (_construct_form is BaseFormSet's,
        # missing from the stubs.)
        form: MessageForm = super()._construct_form(i, **kwargs)  # type: ignore[misc]
        form.empty_permitted = False
        return form


MessageFormSet = formset_factory(MessageForm, formset=BaseMessageFormSet, extra=0, can_delete=True)


class RuleForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, widget=forms.TextInput(attrs={"size": 60}))
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))
    event_type = forms.CharField(
        max_length=200,
        required=False,
        help_text="Exact, or a pattern such as TIER.MEMBERSHIP.*",
        widget=forms.TextInput(attrs={"size": 40}),
    )
    condition = forms.CharField(
        required=False,
        help_text="Optional JMESPath on the event context: the rule applies when it is true, e.g. tier_id == '3'.",
        widget=forms.TextInput(attrs={"size": 80}),
    )
    enabled = forms.BooleanField(required=False)
    order = forms.IntegerField(required=False, help_text="Rules apply in ascending order; empty is 0.")


def _message_initial(message: dict[str, Any]) -> dict[str, Any]:
    initial: dict[str, Any] = {"type": message.get("type"), "for_each": message.get("for_each") or ""}
    for name in SPEC_FIELDS:
        if not _blank(message.get(name)):
            initial[f"{name}_kind"], initial[name] = value_row(message[name])
    return initial


def _rows_initial(message: dict[str, Any]) -> list[dict[str, str]]:
    rows: list[tuple[str, str, Any]] = []
    for section in ("properties", "traits"):
        if isinstance(message.get(section), dict):
            rows.extend((section, name, spec) for name, spec in message[section].items())
    context = message.get("context")
    if isinstance(context, dict):
        for name, spec in context.items():
            if name == "traits" and isinstance(spec, dict) and not _single_spec(spec):
                rows.extend(("context.traits", trait, value) for trait, value in spec.items())
            else:
                rows.append(("context", name, spec))
    initial = []
    for section, name, spec in rows:
        kind, text = value_row(spec)
        initial.append({"section": section, "name": name, "kind": kind, "value": text})
    return initial


class RuleEditor:
    """One rule as a rule form, a message formset and, per message, a formset of value rows."""

    def __init__(self, data: QueryDict | None = None, *, rule: dict[str, Any] | None, read_only: bool = False) -> None:
        self.original = rule or {}
        self.errors: list[str] = []  # problems about the rule's messages as a whole
        enabled = self.original.get("enabled", True)
        self.rule_form = RuleForm(
            data,
            prefix="rule",
            initial={
                **{key: self.original.get(key) for key in ("name", "description", "event_type", "condition")},
                "enabled": enabled if isinstance(enabled, bool) else True,
                "order": self.original.get("order"),
            },
        )
        originals = self.original["messages"] if isinstance(self.original.get("messages"), list) else []
        self.originals = [m if isinstance(m, dict) else {} for m in originals]
        self.messages = MessageFormSet(
            data, prefix="msg", initial=[_message_initial(m) for m in self.originals] or [{"type": "track"}]
        )
        for index, form in enumerate(self.messages.forms):
            original = self.originals[index] if index < len(self.originals) else {}
            form.rows = ValueRowFormSet(data, prefix=f"msg-{index}-rows", initial=_rows_initial(original))
        self._built: list[tuple[forms.Form, dict[str, dict[str, forms.Form]]]] = []
        if read_only:
            for each_form in self._all_forms():
                for field in each_form.fields.values():
                    field.disabled = True

    def _all_forms(self) -> Iterator[forms.Form]:
        yield self.rule_form
        for form in self.messages.forms:
            yield form
            yield from form.rows.forms

    def rule(self) -> dict[str, Any] | None:
        """The rule the forms describe, or ``None`` when a field cannot be read (its error shown)."""
        valid = self.rule_form.is_valid() and self.messages.is_valid()
        valid = all([form.rows.is_valid() for form in self.messages.forms]) and valid
        if not valid:
            return None
        data, original = self.rule_form.cleaned_data, self.original
        rule: dict[str, Any] = {}
        _put(rule, original, "name", data["name"])
        _put(rule, original, "description", data["description"], default="")
        _put(rule, original, "event_type", data["event_type"])
        _put(rule, original, "condition", data["condition"] or None)
        _put(rule, original, "enabled", data["enabled"], default=True)
        if data["order"] is not None:
            rule["order"] = data["order"]
        messages, self._built = [], []
        for index, form in enumerate(self.messages.forms):
            if self.messages._should_delete_form(form):  # type: ignore[attr-defined]  # see BaseValueRowFormSet
                continue
            message_original = self.originals[index] if index < len(self.originals) else {}
            message = self._message(form, message_original)
            if message is None:
                return None
            messages.append(message)
        rule["messages"] = messages
        return _in_original_order(rule, original)

    def _message(self, form: MessageForm, original: dict[str, Any]) -> dict[str, Any] | None:
        data = form.cleaned_data
        message: dict[str, Any] = {"type": data["type"]}
        for name in SPEC_FIELDS:
            _put(message, original, name, data[f"{name}_spec"])
        _put(message, original, "for_each", data["for_each"] or None)
        rows: dict[str, dict[str, forms.Form]] = {section: {} for section, _ in SECTIONS}
        for row in form.rows.forms:
            if row.has_changed() and not form.rows._should_delete_form(row):  # type: ignore[attr-defined]  # see BaseValueRowFormSet
                rows[row.cleaned_data["section"]][row.cleaned_data["name"]] = row
        values = {
            section: {name: row.cleaned_data["spec"] for name, row in named.items()} for section, named in rows.items()
        }
        for section in ("properties", "traits"):
            if values[section] or section in original:
                message[section] = values[section] if values[section] or original[section] is not None else None
        context = values["context"]
        original_context = original["context"] if isinstance(original.get("context"), dict) else {}
        if values["context.traits"] and "traits" in context:
            rows["context"]["traits"].add_error("name", "Context traits go in the Context trait rows.")
            return None
        if values["context.traits"] or ("traits" in original_context and "traits" not in context):
            had = original_context.get("traits")
            context["traits"] = values["context.traits"] if values["context.traits"] or had is not None else None
            context = _in_original_order(context, original_context)
        if context or "context" in original:
            message["context"] = context if context or original["context"] is not None else None
        self._built.append((form, rows))
        return _in_original_order(message, original)

    def problems_place(self, problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Show each (field path, message) next to its field; returns those that have no field here.

        Only valid after :meth:`rule` built the rule the paths refer to.
        """
        left = []
        for field, message in problems:
            if not self._place(field, message):
                left.append((field, message))
        return left

    def _place(self, field: str, message: str) -> bool:
        if field in self.rule_form.fields:
            self.rule_form.add_error(field, message)
            return True
        if field == "messages":
            self.errors.append(message)
            return True
        match = _MESSAGE_FIELD.match(field)
        if match is None or int(match.group(1)) >= len(self._built):
            return False
        form, rows = self._built[int(match.group(1))]
        rest = match.group(2) or ""
        head, _, tail = rest.partition(".")
        if head in SPEC_FIELDS or head in ("type", "for_each"):
            form.add_error(head, message)
            return True
        row = None
        if head in ("properties", "traits"):
            row = _row_for(rows[head], tail)
        elif head == "context":
            trait = tail.partition(".")[2] if tail.startswith("traits.") else None
            row = (_row_for(rows["context.traits"], trait) if trait else None) or _row_for(rows["context"], tail)
        if row is not None:
            row.add_error("value", message)
        else:
            form.add_error(None, f"{rest}: {message}" if rest else message)
        return True


def _row_for(rows: dict[str, forms.Form], path: str) -> forms.Form | None:
    """The row a path within a section belongs to: the longest row name it starts with (names may
    contain dots, so the path cannot simply be split)."""
    matches = [name for name in rows if path == name or path.startswith(f"{name}.")]
    return rows[max(matches, key=len)] if matches else None
