from django.core.exceptions import ValidationError

from connectors.kinds.validation import SettingsInvalid


def error_text(exc: SettingsInvalid | ValidationError) -> str:
    """One line naming each bad field and what is wrong with it."""
    if isinstance(exc, SettingsInvalid):
        return "; ".join(f"{key}: {message}" for key, message in exc.errors.items())
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{key}: {' '.join(messages)}" for key, messages in exc.message_dict.items())
    return " ".join(exc.messages)
