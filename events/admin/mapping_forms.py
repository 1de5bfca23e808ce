"""The "Mapping rules" admin's page forms: picking a connector, the JSON of all rules, what to
preview on, and the per-rule page's own fields. The rule itself is edited by
:class:`events.admin.mapping_editor.RuleEditor`.
"""

from typing import Any, cast

from django import forms

from connectors.models import Connector
from events.rules.mapping_rules import mapping_kinds


class PreviewSourceForm(forms.Form):
    """What to preview on: one of the latest stored events or a sample, or any stored event by the
    id support has (its public id)."""

    preview_source = forms.ChoiceField(required=False, label="Preview on")
    preview_event = forms.CharField(
        required=False,
        label="or the event",
        widget=forms.TextInput(attrs={"size": 38, "placeholder": "a stored event's id (UUID)"}),
    )

    def __init__(self, *args: Any, sources: list[tuple[str, list[tuple[str, str]]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["preview_source"]).choices = [
            ("", "Pick a stored event or a sample"), *sources
        ]


class RulesForm(PreviewSourceForm):
    rules = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 30, "class": "mapping-rules-json", "spellcheck": "false"}),
        help_text="The connector's rules as a JSON list, in the form described below.",
    )
    comment = forms.CharField(required=False, max_length=500, help_text="Why, for the history.")
    base_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, read_only: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if read_only:
            self.fields["rules"].widget.attrs["readonly"] = True
            self.fields["comment"].disabled = True


class RulePageForm(PreviewSourceForm):
    """The per-rule page's own fields besides the rule: why (for the history) and the version the
    page was opened on (someone else's save in between is refused, not overwritten)."""

    comment = forms.CharField(required=False, max_length=500, help_text="Why, for the history.")
    base_version = forms.IntegerField(widget=forms.HiddenInput)


class ConnectorPickForm(forms.Form):
    connector = forms.ModelChoiceField(queryset=Connector.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Connector]", self.fields["connector"]).queryset = (
            Connector.objects.filter(kind__in=mapping_kinds())
            .exclude(mapping_rule_sets__isnull=False)
            .select_related("client")
            .order_by("client__name", "name")
        )
