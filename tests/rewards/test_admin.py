import pytest
from django.urls import reverse

from rewards.admin import admin_link
from rewards.models import RewardLedgerEntry, TriggerReference
from tests.rewards.factories import ConnectorFactory, RewardLedgerEntryFactory, TriggerReferenceFactory

pytestmark = pytest.mark.django_db

LEDGER_URL = reverse("admin:rewards_rewardledgerentry_changelist")
REFERENCES_URL = reverse("admin:rewards_triggerreference_changelist")


def test_ledger_list_renders_entries_with_their_outcome(admin_client):
    RewardLedgerEntryFactory(
        identity="1111111111111131",
        wallet_transaction_reference="PurchaseTest31a",
        status=RewardLedgerEntry.Status.AWARDED,
        wallet_transaction_id="442092686",
        points_awarded=400,
    )

    response = admin_client.get(LEDGER_URL)

    assert response.status_code == 200
    body = response.content.decode()
    assert "1111111111111131" in body
    assert "PurchaseTest31a" in body
    assert "442092686" in body


@pytest.mark.parametrize("query", ["CUST-7", "ref-7", "9001"])
def test_ledger_search_finds_an_entry_by_identity_reference_or_transaction_id(admin_client, query):
    RewardLedgerEntryFactory(
        identity="CUST-7", wallet_transaction_reference="ref-7", wallet_transaction_id="9001"
    )
    RewardLedgerEntryFactory(
        identity="CUST-8", wallet_transaction_reference="ref-8", wallet_transaction_id="9002"
    )

    response = admin_client.get(LEDGER_URL, {"q": query})

    assert response.status_code == 200
    assert [entry.identity for entry in response.context["cl"].result_list] == ["CUST-7"]


def test_ledger_filters_by_status_and_connector(admin_client):
    awarded = RewardLedgerEntryFactory(status=RewardLedgerEntry.Status.AWARDED)
    RewardLedgerEntryFactory(status=RewardLedgerEntry.Status.FAILED, connector=awarded.connector)
    RewardLedgerEntryFactory(status=RewardLedgerEntry.Status.AWARDED)

    response = admin_client.get(
        LEDGER_URL, {"status__exact": "awarded", "connector__id__exact": awarded.connector_id}
    )

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [awarded]


def test_ledger_entry_page_is_read_only_and_shows_the_chain(admin_client):
    entry = RewardLedgerEntryFactory(reason="AIR knows no wallet with this identity (404).")

    response = admin_client.get(reverse("admin:rewards_rewardledgerentry_change", args=[entry.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    assert "AIR knows no wallet with this identity (404)." in body
    assert str(entry.request_event) in body
    assert str(entry.delivery) in body
    assert 'name="_save"' not in body


def test_ledger_cannot_be_added_to_by_hand(admin_client):
    response = admin_client.get(reverse("admin:rewards_rewardledgerentry_add"))

    assert response.status_code == 403
    assert RewardLedgerEntry.objects.count() == 0


def test_admin_link_links_a_registered_admin_page_and_names_the_object_otherwise():
    reference = TriggerReferenceFactory(reference="A0001")

    linked = admin_link("admin:rewards_triggerreference_change", reference)
    plain = admin_link("admin:rewards_nosuchmodel_change", reference)

    url = reverse("admin:rewards_triggerreference_change", args=[reference.pk])
    assert linked == f'<a href="{url}">A0001</a>'
    assert plain == "A0001"
    assert admin_link("admin:rewards_triggerreference_change", None) == "-"


def test_trigger_reference_list_filters_by_connector_and_searches_by_reference(admin_client):
    connector = ConnectorFactory()
    wanted = TriggerReferenceFactory(connector=connector, reference="A0001")
    TriggerReferenceFactory(connector=connector, reference="P0001")
    TriggerReferenceFactory(reference="A0001")

    response = admin_client.get(REFERENCES_URL, {"q": "A0001", "connector__id__exact": connector.pk})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [wanted]


def test_staff_registers_a_trigger_reference(admin_client):
    connector = ConnectorFactory()

    response = admin_client.post(
        reverse("admin:rewards_triggerreference_add"),
        {
            "connector": connector.pk,
            "reference": "A0001",
            "description": "Joined the loyalty programme",
            "air_campaign_id": "100641681",
            "active": "on",
        },
    )

    assert response.status_code == 302
    reference = TriggerReference.objects.get()
    assert (reference.connector, reference.reference, reference.air_campaign_id, reference.active) == (
        connector,
        "A0001",
        "100641681",
        True,
    )


def test_a_reference_is_registered_once_per_connector(admin_client):
    existing = TriggerReferenceFactory(reference="A0001")

    response = admin_client.post(
        reverse("admin:rewards_triggerreference_add"),
        {"connector": existing.connector_id, "reference": "A0001", "description": "", "air_campaign_id": ""},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert TriggerReference.objects.count() == 1
