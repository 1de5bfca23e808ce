import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db


def test_integration_staff_keep_trigger_references_and_read_the_ledger():
    group = Group.objects.get(name="Integration staff")

    codenames = set(
        group.permissions.filter(content_type__app_label="rewards").values_list("codename", flat=True)
    )

    assert {
        "add_triggerreference",
        "change_triggerreference",
        "delete_triggerreference",
        "view_triggerreference",
        "view_rewardledgerentry",
    } <= codenames
    assert "delete_rewardledgerentry" not in codenames
    assert "add_rewardledgerentry" not in codenames
