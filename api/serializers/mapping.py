"""A connector's mapping rules and their versions as the Config API shows and takes them."""

from typing import Any

from django.contrib.auth.models import User
from rest_framework import serializers

from api.serializers.strict import StrictInput
from events.models import Direction
from events.rule_models import MappingRuleSetVersion


class RuleProblemSerializer(serializers.Serializer[dict[str, str]]):
    path = serializers.CharField(help_text="Where in the rule set, e.g. rules[1].messages[0].properties.")
    message = serializers.CharField()


class RulesSerializer(StrictInput, serializers.Serializer[dict[str, Any]]):
    rules = serializers.ListField(
        child=serializers.DictField(), allow_empty=True, help_text="The rules, in the mapping engine's form."
    )


class RulesSaveSerializer(RulesSerializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    expected_version = serializers.IntegerField(
        required=False, min_value=0, allow_null=True, default=None,
        help_text="The version the rules were read at: refused (409) if another was saved since.",
    )


class RestoreSerializer(StrictInput, serializers.Serializer[dict[str, Any]]):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class ValidationResultSerializer(serializers.Serializer[dict[str, Any]]):
    valid = serializers.BooleanField()
    problems = RuleProblemSerializer(many=True)


VERSION_FIELDS: tuple[str, ...] = ("number", "action", "summary", "comment", "created_at", "created_by")


class VersionSerializer(serializers.ModelSerializer[MappingRuleSetVersion]):
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = MappingRuleSetVersion
        fields: tuple[str, ...] = VERSION_FIELDS
        read_only_fields = fields


class VersionDetailSerializer(VersionSerializer):
    rules = serializers.ListField(
        child=serializers.DictField(), allow_null=True, help_text="null: the kind's default rules applied."
    )

    class Meta(VersionSerializer.Meta):
        fields = (*VERSION_FIELDS, "rules")
        read_only_fields = fields


class RuleSetSerializer(serializers.Serializer[dict[str, Any]]):
    connector = serializers.IntegerField()
    direction = serializers.ChoiceField(choices=Direction.choices)
    version = serializers.IntegerField(help_text="The latest version's number; 0 before the first change.")
    uses_defaults = serializers.BooleanField(help_text="True while the kind's default rules apply.")
    rules = serializers.ListField(child=serializers.DictField(), help_text="The rules that apply now.")
    versions = VersionSerializer(many=True, help_text="Every change, newest first.")
