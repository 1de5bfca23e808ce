"""API keys: shown once, stored hashed, revocable, expiring; sent as a bearer token."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from api.keys import api_key_issue, api_key_revoke
from api.models import ApiKey
from connectors.tokens import token_hash
from core.groups import INTEGRATION_STAFF
from tests.connectors.factories import ClientFactory, UserFactory

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/clients/"


def call(header: str):
    client = APIClient()
    return client.get(CLIENTS, HTTP_AUTHORIZATION=header)


def test_a_key_is_stored_as_its_hash_only_and_acts_as_its_user(staff_user):
    ClientFactory(name="Retailer")
    issued = api_key_issue(user=staff_user, label="deploys")

    response = call(f"Bearer {issued.plaintext}")

    assert response.status_code == 200
    assert [client["name"] for client in response.json()] == ["Retailer"]
    key = ApiKey.objects.get()
    assert key.key_hash == token_hash(issued.plaintext)
    assert key.prefix == issued.plaintext[:12]
    assert issued.plaintext not in {key.prefix, key.key_hash, key.label}
    assert key.last_used_at is not None


def test_the_api_key_scheme_is_accepted_as_well(staff_user):
    issued = api_key_issue(user=staff_user)

    assert call(f"Api-Key {issued.plaintext}").status_code == 200


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("", "Authentication credentials were not provided."),
        ("Bearer eek_not-a-key", "This API key is unknown, revoked or expired."),
        ("Bearer two words", "Send the key as “Authorization: Bearer <key>”, without spaces."),
        ("Basic dXNlcjpwYXNz", "Authentication credentials were not provided."),
    ],
)
def test_a_missing_or_unknown_key_is_refused_401_with_the_scheme(header, message):
    response = call(header)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {"message": message, "errors": []}


def test_a_revoked_key_is_refused(staff_user):
    issued = api_key_issue(user=staff_user)
    api_key_revoke(key=issued.key)

    response = call(f"Bearer {issued.plaintext}")

    assert response.status_code == 401
    assert response.json()["message"] == "This API key is unknown, revoked or expired."


def test_an_expired_key_is_refused_and_one_not_yet_expired_accepted(staff_user):
    expired = api_key_issue(user=staff_user, expires_at=timezone.now() - timedelta(seconds=1))
    live = api_key_issue(user=staff_user, expires_at=timezone.now() + timedelta(hours=1))

    assert call(f"Bearer {expired.plaintext}").status_code == 401
    assert call(f"Bearer {live.plaintext}").status_code == 200


def test_the_key_of_an_inactive_user_is_refused(staff_user):
    issued = api_key_issue(user=staff_user)
    staff_user.is_active = False
    staff_user.save()

    response = call(f"Bearer {issued.plaintext}")

    assert response.status_code == 401
    assert response.json()["message"] == "The user of this API key is inactive."


def test_a_user_without_permissions_is_refused_403():
    issued = api_key_issue(user=UserFactory())

    response = call(f"Bearer {issued.plaintext}")

    assert response.status_code == 403
    assert response.json() == {"message": "You do not have permission to perform this action.", "errors": []}


def test_the_admin_session_works_for_the_browser(client):
    client.force_login(UserFactory(group=INTEGRATION_STAFF))

    assert client.get(CLIENTS).status_code == 200


def test_api_key_issue_prints_the_key_once_for_the_named_user(staff_user):
    out, err = io.StringIO(), io.StringIO()

    call_command(
        "api_key_issue", "--user", "integrator", "--label", "ci", "--expires-days", "30", stdout=out, stderr=err
    )

    plaintext = out.getvalue().strip()
    key = ApiKey.objects.get()
    assert key.key_hash == token_hash(plaintext)
    assert (key.user, key.label) == (staff_user, "ci")
    assert timedelta(days=29, hours=23) < key.expires_at - timezone.now() <= timedelta(days=30)
    assert err.getvalue() == f"API key {key.prefix}… for integrator; copy it now, it is shown once:\n"


def test_api_key_issue_refuses_an_unknown_user_issuing_nothing():
    with pytest.raises(CommandError, match=r"^No user 'nobody'\.$"):
        call_command("api_key_issue", "--user", "nobody")

    assert not ApiKey.objects.exists()


def test_the_admin_issues_a_key_on_a_page_shown_once(admin_client, staff_user):
    response = admin_client.post(
        "/admin/api/apikey/add/", {"user": staff_user.pk, "label": "deploys", "expires_at_0": "", "expires_at_1": ""}
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = ApiKey.objects.get()
    plaintext = response.context["issued"].plaintext
    assert plaintext in response.content.decode()
    assert key.key_hash == token_hash(plaintext)
    assert (key.user, key.label, key.created_by.username) == (staff_user, "deploys", "admin")
    assert plaintext not in admin_client.get(f"/admin/api/apikey/{key.pk}/change/").content.decode()


def test_the_admin_revokes_keys(admin_client, staff_user):
    issued = api_key_issue(user=staff_user)

    admin_client.post(
        "/admin/api/apikey/", {"action": "keys_revoke", "_selected_action": [issued.key.pk]}
    )

    issued.key.refresh_from_db()
    assert issued.key.revoked_at is not None
    assert call(f"Bearer {issued.plaintext}").status_code == 401
