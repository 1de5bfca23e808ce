"""The admin form of a connector, built from its kind's settings schema.

Each setting becomes a form field of its own (label, help text, choices, checkbox, password input),
named by the setting's key. The form checks its input with ``settings_validate``, the same rules the
services apply, and hands the raw values to them: a blank secret keeps the stored one, and an
optional secret has a "clear" checkbox (``<key>_clear``) that removes it.
"""

from functools import cache
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

from connectors.kinds.base import FieldType, Kind, SettingField
from connectors.kinds.registry import kind_get
from connectors.kinds.validation import SettingsInvalid, settings_validate
from connectors.models import Connector
from core.crypto import SecretsUnreadable, secrets_decrypt

MODEL_FIELDS = ("client", "name", "environment", "max_attempts", "rate_limit_per_second", "destination_rate_per_second")
CLEAR_SUFFIX = "_clear"

if TYPE_CHECKING:
    _ConnectorModelForm = forms.ModelForm[Connector]
else:  # ModelForm takes no type argument at run time
    _ConnectorModelForm = forms.ModelForm


def clear_field_keys(kind: Kind) -> list[str]:
    """The form fields that clear a stored optional secret, one per such secret."""
    return [f"{field.key}{CLEAR_SUFFIX}" for field in kind.secret_fields if not field.required]


def _form_field(field: SettingField) -> forms.Field:
    required = field.required and field.default is None
    common: dict[str, Any] = {"label": field.label, "help_text": field.help_text, "required": required}
    if field.type is FieldType.SECRET:
        widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
        return forms.CharField(**{**common, "required": False}, widget=widget, strip=True)
    if field.type is FieldType.BOOLEAN:
        return forms.BooleanField(**{**common, "required": False})
    if field.type is FieldType.CHOICE:
        choices = list(field.choices) if required else [("", "---------"), *field.choices]
        return forms.ChoiceField(**common, choices=choices)
    if field.type is FieldType.INTEGER:
        return forms.IntegerField(**common)
    if field.type is FieldType.MAPPING:
        return forms.JSONField(**common, widget=forms.Textarea(attrs={"rows": 4, "cols": 60}))
    if field.type is FieldType.URL:
        return forms.CharField(**common, widget=forms.URLInput(attrs={"size": 60}))
    if field.type is FieldType.CURRENCY:
        return forms.CharField(**common, max_length=3, widget=forms.TextInput(attrs={"size": 4}))
    return forms.CharField(**common)


class ConnectorForm(_ConnectorModelForm):
    """Base of the per-kind forms made by ``connector_form_class``."""

    kind: Kind
    secret_status_visible: bool = False
    secrets_unreadable: bool = False  # the stored secrets exist but no key decrypts them

    class Meta:
        model = Connector
        fields = MODEL_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.kind = self.kind.key
        try:
            self.stored_secrets = secrets_decrypt(self.instance.secrets_encrypted) if self.instance.pk else {}
        except SecretsUnreadable:  # the page still opens, so the secrets can be entered again
            self.stored_secrets = {}
            self.secrets_unreadable = True
        for field in self.kind.setting_fields:
            if field.key in self.fields and field.key not in self.initial:
                self.initial[field.key] = self.instance.settings.get(field.key, field.default)
        for field in self.kind.secret_fields:
            if field.key in self.fields and self.secret_status_visible:
                status = "Set; leave blank to keep it." if self.stored_secrets.get(field.key) else "Not set."
                if self.secrets_unreadable:
                    status = "Stored, but no key in ENCRYPTION_KEYS decrypts it: enter it again."
                self.fields[field.key].help_text = f"{status} {field.help_text}".strip()
        self.settings_values: dict[str, Any] = {}
        self.secret_values: dict[str, str] = {}
        self.secrets_cleared: list[str] = []

    def _cleared(self, cleaned: dict[str, Any], secrets: dict[str, str]) -> list[str]:
        cleared = []
        for key in clear_field_keys(self.kind):
            if key in self.fields and cleaned.get(key):
                secret = key.removesuffix(CLEAR_SUFFIX)
                if secrets.get(secret):
                    self.add_error(key, "Enter a new value or clear the stored one, not both.")
                cleared.append(secret)
        return cleared

    def clean(self) -> dict[str, Any]:
        # BaseModelForm.clean returns cleaned_data; the stubs allow None for subclasses that return nothing.
        cleaned = cast(dict[str, Any], super().clean())
        present = [f for f in self.kind.fields if f.key in self.fields and f.key not in self.errors]
        settings = {f.key: cleaned.get(f.key) for f in present if not f.is_secret}
        secrets = {f.key: cleaned.get(f.key) or "" for f in present if f.is_secret}
        cleared = self._cleared(cleaned, secrets)
        try:
            settings_validate(
                self.kind,
                settings=settings,
                secrets=secrets,
                existing_secrets={k: v for k, v in self.stored_secrets.items() if k not in cleared},
                sandbox_enabled=django_settings.SANDBOX_ENABLED,
            )
        except SettingsInvalid as exc:
            for key, message in exc.errors.items():
                if key not in self.errors:
                    self.add_error(key if key in self.fields else None, message)
        self.settings_values = settings
        self.secret_values = {key: value for key, value in secrets.items() if value}
        self.secrets_cleared = cleared
        return cleaned


@cache
def connector_form_class(kind_key: str, *, secret_status_visible: bool) -> type[ConnectorForm]:
    kind = kind_get(kind_key)
    clashes = {f.key for f in kind.fields} & set(MODEL_FIELDS)
    if clashes:
        raise ImproperlyConfigured(f"Settings of {kind.key} clash with connector fields: {sorted(clashes)}")
    attrs: dict[str, Any] = {f.key: _form_field(f) for f in kind.fields}
    for field in kind.secret_fields:
        if not field.required:
            label = f"Clear the stored {field.label.lower()}"
            attrs[f"{field.key}{CLEAR_SUFFIX}"] = forms.BooleanField(label=label, required=False)
    attrs["kind"] = kind
    attrs["secret_status_visible"] = secret_status_visible
    return type(f"{kind.key.title().replace('_', '')}ConnectorForm", (ConnectorForm,), attrs)
