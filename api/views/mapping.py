"""A connector's mapping rules: read, validate, save as a new version, restore a version, through
``events.rules.mapping_rules`` as the admin's editor does."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from api.schema import ErrorSerializer
from api.serializers.mapping import (
    RestoreSerializer,
    RuleSetSerializer,
    RulesSaveSerializer,
    RulesSerializer,
    ValidationResultSerializer,
    VersionDetailSerializer,
)
from api.views.base import ApiViewSet
from api.views.log import Conflict
from connectors.kinds.base import Direction
from connectors.models import Connector
from events.rule_models import MappingRuleSet, MappingRuleSetVersion
from events.rules.mapping_rules import (
    MappingRulesConflict,
    MappingRulesInvalid,
    RuleProblem,
    mapping_kind_get,
    mapping_rules_applying,
    mapping_rules_restore,
    mapping_rules_save,
    mapping_rules_validate,
)

DIRECTION = OpenApiParameter(
    "direction", OpenApiTypes.STR, OpenApiParameter.PATH, enum=[d.value for d in Direction],
    description="in: the CDP's events towards the loyalty engine; out: the engine's towards the CDP.",
)
NUMBER = OpenApiParameter(
    "number", {"type": "integer", "minimum": 0, "maximum": 10**9 - 1}, OpenApiParameter.PATH,
    description="A version's number.",
)
REFUSED = OpenApiResponse(ErrorSerializer, description="Someone saved another version since expected_version.")


def _path(problem: RuleProblem) -> str:
    if problem.index is None:
        return "rules" if problem.field == "rules" else ""
    return f"rules[{problem.index - 1}]" + (f".{problem.field}" if problem.field else "")


def _problems(problems: list[RuleProblem]) -> list[dict[str, str]]:
    return [{"path": _path(problem), "message": problem.message} for problem in problems]


# Any: the answer is built from a rule set and its versions, not one model's serializer.
class MappingRulesViewSet(ApiViewSet[Any]):
    serializer_class = RuleSetSerializer
    required_permissions = {
        "retrieve": ("events.view_mappingruleset",),
        "validate": ("events.view_mappingruleset",),
        "version": ("events.view_mappingruleset",),
        "save": ("events.change_mappingruleset",),
        "restore": ("events.change_mappingruleset",),
    }

    def _connector(self, connector_pk: int, direction: str) -> Connector:
        """The connector, if its kind has rules for ``direction``."""
        connector = get_object_or_404(Connector.objects.select_related("client"), pk=connector_pk)
        if direction not in Direction.__members__.values():
            raise NotFound(f"Unknown direction {direction!r}: in or out.")
        try:
            mapping_kind_get(connector=connector, direction=direction)
        except MappingRulesInvalid as invalid:
            raise NotFound(str(invalid.problems[0].message)) from None
        return connector

    def _rule_set(self, connector: Connector, direction: str) -> MappingRuleSet:
        """The stored rule set, or an unsaved one (the defaults apply) so reading writes nothing."""
        found = MappingRuleSet.objects.filter(connector=connector, direction=direction).first()
        return found or MappingRuleSet(connector=connector, direction=direction)

    @extend_schema(parameters=[DIRECTION], responses={200: RuleSetSerializer})
    def retrieve(self, request: Request, connector_pk: int, direction: str) -> Response:
        connector = self._connector(connector_pk, direction)
        rule_set = self._rule_set(connector, direction)
        versions = rule_set.versions.select_related("created_by").order_by("-number") if rule_set.pk else []
        body = {
            "connector": connector.pk,
            "direction": direction,
            "version": rule_set.version,
            "uses_defaults": rule_set.uses_defaults,
            "rules": mapping_rules_applying(rule_set=rule_set),
            "versions": versions,
        }
        return Response(RuleSetSerializer(body).data)

    @extend_schema(parameters=[DIRECTION], request=RulesSerializer, responses={200: ValidationResultSerializer})
    def validate(self, request: Request, connector_pk: int, direction: str) -> Response:
        """Check rules without saving them: each rule's form, then its output on the kind's samples."""
        connector = self._connector(connector_pk, direction)
        serializer = RulesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rules = serializer.validated_data["rules"]
        problems = mapping_rules_validate(connector=connector, direction=direction, rules=rules)
        return Response(ValidationResultSerializer({"valid": not problems, "problems": _problems(problems)}).data)

    @extend_schema(
        parameters=[DIRECTION], request=RulesSaveSerializer, responses={201: VersionDetailSerializer, 409: REFUSED}
    )
    def save(self, request: Request, connector_pk: int, direction: str) -> Response:
        """Validate the rules and save them as the connector's new version (refused whole, naming each problem)."""
        connector = self._connector(connector_pk, direction)
        serializer = RulesSaveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            version = mapping_rules_save(
                connector=connector, direction=direction, user=request.user, **serializer.validated_data
            )
        except MappingRulesInvalid as invalid:
            raise ValidationError(_problem_detail(invalid.problems)) from None
        except MappingRulesConflict as conflict:
            raise Conflict(str(conflict)) from None
        return Response(VersionDetailSerializer(version).data, status=status.HTTP_201_CREATED)

    def _version(self, connector_pk: int, direction: str, number: int) -> MappingRuleSetVersion:
        connector = self._connector(connector_pk, direction)
        return get_object_or_404(
            MappingRuleSetVersion.objects.select_related("created_by", "rule_set__connector"),
            rule_set__connector=connector, rule_set__direction=direction, number=number,
        )

    @extend_schema(parameters=[DIRECTION, NUMBER], responses={200: VersionDetailSerializer})
    def version(self, request: Request, connector_pk: int, direction: str, number: int) -> Response:
        return Response(VersionDetailSerializer(self._version(connector_pk, direction, number)).data)

    @extend_schema(parameters=[DIRECTION, NUMBER], request=RestoreSerializer, responses={201: VersionDetailSerializer})
    def restore(self, request: Request, connector_pk: int, direction: str, number: int) -> Response:
        """Make an earlier version current again, as a new version (refused if its rules no longer pass)."""
        version = self._version(connector_pk, direction, number)
        serializer = RestoreSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            restored = mapping_rules_restore(version=version, user=request.user, **serializer.validated_data)
        except MappingRulesInvalid as invalid:
            raise ValidationError(_problem_detail(invalid.problems)) from None
        return Response(VersionDetailSerializer(restored).data, status=status.HTTP_201_CREATED)


def _problem_detail(problems: list[RuleProblem]) -> dict[str, list[str]]:
    """The problems keyed by their path, as a ValidationError's detail."""
    detail: dict[str, list[str]] = {}
    for problem in _problems(problems):
        detail.setdefault(problem["path"], []).append(problem["message"])
    return detail
