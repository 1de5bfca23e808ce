"""Validation of a connector's settings and secrets against its kind's schema.

Used on every save, whatever the door (admin form, management command, shell via the service), so
the rules live in one place. Errors name the field and the rule that failed.
"""

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from babel.numbers import list_currencies

from connectors.addresses import host_refusal, loopback_allowed
from connectors.kinds.base import FieldType, Kind, SettingField

ISO_4217 = frozenset(code for code in list_currencies() if len(code) == 3 and code.isalpha() and code.isupper())


class SettingsInvalid(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))
        self.errors = errors


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def url_error(value: str, *, sandbox_enabled: bool) -> str:
    if any(char.isspace() or not char.isprintable() for char in value):
        return "A URL cannot contain spaces or control characters."
    parts = urlsplit(value)
    if not parts.netloc or parts.scheme not in ("https", "http"):
        return "Enter a full URL, such as https://wallet.sandbox.uk.eagleeye.com."
    if parts.username or parts.password:
        return "Credentials do not belong in the URL; use the secret fields."
    if parts.scheme == "http" and not (sandbox_enabled and _is_loopback(parts.hostname or "")):
        return "Must use https:// (http:// is allowed only for 127.0.0.1 while the sandbox is enabled)."
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "The port must be a number from 0 to 65535."
    # Checked again when connecting (events.delivery.http): the name may resolve elsewhere by then.
    return host_refusal(parts.hostname or "", port, allow_loopback=loopback_allowed())


def _clean(field: SettingField, value: Any, *, sandbox_enabled: bool) -> tuple[Any, str]:
    if field.type is FieldType.BOOLEAN:
        if isinstance(value, bool):
            return value, ""
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on", "false", "0", "no", "off"):
            return value.lower() in ("true", "1", "yes", "on"), ""
        return value, "Must be true or false."
    if field.type is FieldType.INTEGER:
        try:
            return int(value), ""
        except (TypeError, ValueError):
            return value, "Must be a whole number."
    if field.type is FieldType.MAPPING:
        if not isinstance(value, dict):
            return value, "Must be a JSON object."
        return value, ""
    if not isinstance(value, str):
        return value, "Must be text."
    value = value.strip()
    if field.type is FieldType.URL:
        return value.rstrip("/"), url_error(value, sandbox_enabled=sandbox_enabled)
    if field.type is FieldType.CURRENCY:
        value = value.upper()
        if value not in ISO_4217:
            return value, f"{value!r} is not an ISO 4217 currency code (three letters, such as USD or GBP)."
    if field.type is FieldType.CHOICE and value not in {key for key, _ in field.choices}:
        allowed = ", ".join(key for key, _ in field.choices)
        return value, f"Must be one of: {allowed}."
    return value, ""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def settings_validate(
    kind: Kind,
    *,
    settings: dict[str, Any],
    secrets: dict[str, str],
    existing_secrets: dict[str, str],
    sandbox_enabled: bool,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the cleaned (settings, secrets) or raise SettingsInvalid naming every bad field.

    A blank secret keeps the value already stored, so a form never has to show one back.
    """
    errors: dict[str, str] = {}
    known = {f.key for f in kind.fields}
    for key in [*settings, *secrets]:
        if key not in known:
            errors[key] = f"Unknown setting for {kind.label} connectors."
    clean_settings: dict[str, Any] = {}
    clean_secrets: dict[str, str] = {}
    for field in kind.fields:
        source = secrets if field.is_secret else settings
        value = source.get(field.key)
        if _blank(value) and field.is_secret:
            value = existing_secrets.get(field.key)
        if _blank(value):
            if field.required and field.default is None:
                errors[field.key] = f"{field.label} is required."
            elif field.default is not None:
                clean_settings[field.key] = field.default
            continue
        value, error = _clean(field, value, sandbox_enabled=sandbox_enabled)
        if error:
            errors[field.key] = error
        elif field.is_secret:
            clean_secrets[field.key] = value
        else:
            clean_settings[field.key] = value
    if errors:
        raise SettingsInvalid(errors)
    return clean_settings, clean_secrets
