"""Input as the schema says it, or a refusal naming the field: DRF alone would read ``0`` as the
text "0", ``"5"`` as the number 5, skip an unknown field and an empty query parameter. A machine
sending any of those has a bug the API should tell it about, not guess around (a misspelt filter
of a bulk retry would otherwise retry every failed delivery)."""

from typing import TYPE_CHECKING, Any

from django.http import QueryDict
from rest_framework import serializers

# An id in a path or filter: at most 18 digits, so any id the database can hold and none it cannot
# (a longer one is refused, not an overflow in the query). A version's number has at most 9.
ID_PATTERN = "[0-9]{1,18}"
ID_MAX = 10**18 - 1
NUMBER_PATTERN = "[0-9]{1,9}"

# Query parameters the list endpoints read besides the serializer's own (cursor pagination).
PAGE_PARAMS = ("cursor", "limit")


def _json_type(value: object) -> str:
    names = {bool: "true or false", int: "a number", float: "a number", str: "text", dict: "an object", list: "a list"}
    return names.get(type(value), "null")


def _type_error(field: serializers.Field[Any, Any, Any, Any], value: object, path: str) -> tuple[str, str] | None:
    """Where and why ``value`` is not of the JSON type ``field`` takes, or None when it is (or is
    null: the field itself says whether null is allowed)."""
    if value is None:
        return None
    if isinstance(field, serializers.BooleanField):
        expected, ok = "true or false", isinstance(value, bool)
    elif isinstance(field, serializers.IntegerField | serializers.PrimaryKeyRelatedField):
        expected, ok = "a whole number", isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(field, serializers.CharField | serializers.ChoiceField | serializers.DateTimeField):
        expected, ok = "text", isinstance(value, str)
    elif isinstance(field, serializers.DictField):
        if not isinstance(value, dict):
            expected, ok = "an object", False
        else:
            items = (_type_error(field.child, item, f"{path}.{key}") for key, item in value.items())
            return next((error for error in items if error), None)
    elif isinstance(field, serializers.ListField):
        if not isinstance(value, list):
            expected, ok = "a list", False
        else:
            items = (_type_error(field.child, item, f"{path}[{index}]") for index, item in enumerate(value))
            return next((error for error in items if error), None)
    else:
        return None
    return None if ok else (path, f"Must be {expected}, not {_json_type(value)}.")


if TYPE_CHECKING:
    # What the mixin is mixed into: any serializer (its fields, and to_internal_value to call on).
    _SerializerBase = serializers.Serializer[Any]
else:
    _SerializerBase = object


class StrictInput(_SerializerBase):
    """Mixed into a serializer reading a JSON body or a query string; ``extra_params`` are query
    parameters read elsewhere (pagination)."""

    extra_params: tuple[str, ...] = ()

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        writable = {name: field for name, field in self.fields.items() if not field.read_only}
        errors: dict[str, list[str]] = {}
        if isinstance(data, QueryDict):
            for name in data:
                if name not in writable and name not in self.extra_params:
                    errors[name] = ["Unknown parameter."]
                elif name in writable and data.getlist(name) != [data[name]]:
                    errors[name] = ["Give this parameter once."]
                elif name in writable and data[name] == "":
                    errors[name] = ["Give a value or leave the parameter out."]
        elif isinstance(data, dict):
            for name, value in data.items():
                if name not in writable:
                    errors[name] = ["Unknown or read-only field."]
                elif refused := _type_error(writable[name], value, name):
                    errors[refused[0]] = [refused[1]]
        if errors:
            raise serializers.ValidationError(errors)
        validated: dict[str, Any] = super().to_internal_value(data)
        return validated
