"""Mapping rules through the Config API: read, validate, save a version, restore."""

import copy

import pytest

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from events.models import MappingRuleSet, MappingRuleSetVersion
from tests.connectors.factories import ConnectorFactory

pytestmark = pytest.mark.django_db

DEFAULTS = kind_get("air_segment").default_rules[Direction.OUT]
PURCHASE_INDEX = next(i for i, rule in enumerate(DEFAULTS) if rule["name"] == "Purchase")


def rules_url(connector, direction="out") -> str:
    return f"/api/v1/connectors/{connector.pk}/mapping-rules/{direction}/"


def renamed_purchase() -> list[dict]:
    rules = copy.deepcopy(DEFAULTS)
    rules[PURCHASE_INDEX]["messages"][1]["event"] = "Order Completed"
    return rules


def test_a_connector_without_rules_of_its_own_reads_its_kinds_defaults_writing_nothing(support_api):
    connector = ConnectorFactory()

    response = support_api.get(rules_url(connector))

    assert response.status_code == 200
    assert response.json() == {
        "connector": connector.pk, "direction": "out", "version": 0, "uses_defaults": True,
        "rules": DEFAULTS, "versions": [],
    }
    assert not MappingRuleSet.objects.exists()


def test_a_direction_without_rules_is_not_found(support_api):
    connector = ConnectorFactory()

    response = support_api.get(rules_url(connector, "in"))

    assert response.status_code == 404
    assert response.json() == {
        "message": "Eagle Eye AIR ⇄ Segment has no mapping rules for direction 'in'.", "errors": []
    }


def test_validation_reports_each_problem_by_its_path_and_saves_nothing(support_api):
    connector = ConnectorFactory()
    rules = copy.deepcopy(DEFAULTS)
    rules[0]["name"] = " "
    rules[PURCHASE_INDEX]["messages"][1]["event"] = ""

    response = support_api.post(f"{rules_url(connector)}validate/", {"rules": rules}, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "valid": False,
        "problems": [
            {"path": "rules[0].name", "message": "A name is required."},
            {"path": f"rules[{PURCHASE_INDEX}].messages[1].event", "message": "An event name is required."},
        ],
    }
    assert not MappingRuleSetVersion.objects.exists()


def test_rules_are_saved_as_a_new_version_and_an_earlier_one_restored(staff_api):
    connector = ConnectorFactory()

    saved = staff_api.post(
        f"{rules_url(connector)}versions/", {"rules": renamed_purchase(), "comment": "rename"}, format="json"
    )
    restored = staff_api.post(f"{rules_url(connector)}versions/1/restore/", {}, format="json")

    assert saved.status_code == 201
    assert saved.json()["number"] == 1
    assert (saved.json()["action"], saved.json()["summary"], saved.json()["created_by"]) == (
        "save", "Changed: Purchase.", "integrator"
    )
    assert restored.status_code == 201
    assert (restored.json()["number"], restored.json()["comment"]) == (2, "Restored version 1.")
    read = staff_api.get(rules_url(connector)).json()
    assert (read["version"], read["uses_defaults"]) == (2, False)
    assert read["rules"][PURCHASE_INDEX]["messages"][1]["event"] == "Order Completed"
    assert [v["number"] for v in read["versions"]] == [2, 1]


def test_invalid_rules_are_refused_400_naming_each_problem(staff_api):
    connector = ConnectorFactory()
    rules = copy.deepcopy(DEFAULTS)
    rules[PURCHASE_INDEX]["messages"][1]["event"] = ""

    response = staff_api.post(f"{rules_url(connector)}versions/", {"rules": rules}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "message": "The request is invalid: see errors.",
        "errors": [{"path": f"rules[{PURCHASE_INDEX}].messages[1].event", "message": "An event name is required."}],
    }
    assert not MappingRuleSetVersion.objects.exists()


def test_a_save_based_on_an_older_version_is_refused_409(staff_api):
    connector = ConnectorFactory()
    url = f"{rules_url(connector)}versions/"
    staff_api.post(url, {"rules": renamed_purchase()}, format="json")

    response = staff_api.post(url, {"rules": DEFAULTS, "expected_version": 0}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "message": "Version 1 was saved by integrator since you opened these rules. "
        "Reload the page to see it, then make your change again.",
        "errors": [],
    }
    assert MappingRuleSetVersion.objects.count() == 1


def test_support_reads_and_validates_but_cannot_save(support_api):
    connector = ConnectorFactory()

    response = support_api.post(f"{rules_url(connector)}versions/", {"rules": renamed_purchase()}, format="json")

    assert response.status_code == 403
    assert not MappingRuleSetVersion.objects.exists()
