import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from core.groups import INTEGRATION_STAFF, SUPPORT, groups_sync

pytestmark = pytest.mark.django_db


def _codenames(name: str) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=name).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_migration_creates_support_with_read_only_delivery_log_and_connectors():
    support = _codenames(SUPPORT)

    assert {
        "connectors.view_client",
        "connectors.view_connector",
        "events.view_event",
        "events.view_delivery",
        "events.view_deliveryattempt",
    } <= support
    assert not {p for p in support if p.startswith("connectors.") and not p.startswith("connectors.view_")}
    assert "connectors.view_connector_secrets" not in support
    assert "connectors.view_authtoken" not in support
    assert not {p for p in support if p.startswith(("events.change_", "events.add_", "events.delete_"))}


def test_migration_gives_integration_staff_everything_on_connectors_and_view_change_on_the_log():
    staff = _codenames(INTEGRATION_STAFF)

    for model in ("client", "connector", "authtoken"):
        for action in ("add", "change", "delete", "view"):
            assert f"connectors.{action}_{model}" in staff
    assert "connectors.view_connector_secrets" in staff
    for model in ("event", "delivery", "deliveryattempt"):
        assert f"events.view_{model}" in staff
        assert f"events.change_{model}" in staff
        assert f"events.delete_{model}" not in staff


def test_groups_sync_restores_a_removed_permission_and_is_idempotent():
    support = Group.objects.get(name=SUPPORT)
    support.permissions.clear()

    counts = groups_sync()
    again = groups_sync()

    assert counts == again
    assert support.permissions.count() == counts[SUPPORT]
    assert Group.objects.filter(name__in=[SUPPORT, INTEGRATION_STAFF]).count() == 2


def test_groups_sync_command_reports_each_group(capsys):
    call_command("groups_sync")

    out = capsys.readouterr().out
    assert f"{INTEGRATION_STAFF}: " in out
    assert f"{SUPPORT}: " in out
