import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from connectors.models import AuthToken
from connectors.tokens import TokenAmbiguous, TokenNotFound, token_issue, token_revoke, token_verify
from tests.connectors.factories import ConnectorFactory

pytestmark = pytest.mark.django_db


def test_issue_stores_only_the_hash_and_a_prefix():
    connector = ConnectorFactory()

    issued = token_issue(connector=connector, direction="in", label="Segment")

    stored = AuthToken.objects.get()
    assert stored.token_hash == hashlib.sha256(issued.plaintext.encode()).hexdigest()
    assert stored.prefix == issued.plaintext[:16]
    assert issued.plaintext.startswith("eec_in_")
    assert issued.plaintext not in {str(v) for v in AuthToken.objects.values().get().values()}


def test_verify_accepts_the_token_and_records_its_use():
    connector = ConnectorFactory()
    issued = token_issue(connector=connector, direction="out")

    match = token_verify(connector=connector, direction="out", presented=issued.plaintext)

    assert match.pk == issued.token.pk
    assert AuthToken.objects.get().last_used_at is not None


def test_verify_refuses_a_revoked_token():
    connector = ConnectorFactory()
    issued = token_issue(connector=connector, direction="in")

    token_revoke(prefix_or_id=issued.token.prefix)

    assert token_verify(connector=connector, direction="in", presented=issued.plaintext) is None


def test_verify_refuses_an_expired_token():
    connector = ConnectorFactory()
    expired = timezone.now() - timedelta(seconds=1)
    issued = token_issue(connector=connector, direction="in", expires_at=expired)

    assert token_verify(connector=connector, direction="in", presented=issued.plaintext) is None
    assert AuthToken.objects.get().last_used_at is None


def test_verify_refuses_a_token_of_the_other_direction():
    connector = ConnectorFactory()
    issued = token_issue(connector=connector, direction="in")

    assert token_verify(connector=connector, direction="out", presented=issued.plaintext) is None


def test_verify_refuses_a_token_of_another_connector():
    issued = token_issue(connector=ConnectorFactory(), direction="in")

    assert token_verify(connector=ConnectorFactory(), direction="in", presented=issued.plaintext) is None


def test_verify_refuses_an_empty_or_wrong_token():
    connector = ConnectorFactory()
    token_issue(connector=connector, direction="in")

    assert token_verify(connector=connector, direction="in", presented="") is None
    assert token_verify(connector=connector, direction="in", presented="eec_in_guess") is None


def test_revoke_by_id_sets_revoked_at_once():
    issued = token_issue(connector=ConnectorFactory(), direction="in")

    first = token_revoke(prefix_or_id=str(issued.token.pk))
    again = token_revoke(prefix_or_id=str(issued.token.pk))

    assert first.revoked_at is not None
    assert again.revoked_at == first.revoked_at


def test_revoke_of_an_unknown_token_raises_and_changes_nothing():
    token_issue(connector=ConnectorFactory(), direction="in")

    with pytest.raises(TokenNotFound):
        token_revoke(prefix_or_id="eec_in_missing")

    assert AuthToken.objects.filter(revoked_at__isnull=False).count() == 0


def test_revoke_by_a_prefix_two_tokens_share_is_refused():
    connector = ConnectorFactory()
    for n in range(2):
        AuthToken.objects.create(connector=connector, direction="in", prefix="eec_in_same", token_hash=f"{n}")

    with pytest.raises(TokenAmbiguous):
        token_revoke(prefix_or_id="eec_in_same")

    assert AuthToken.objects.filter(revoked_at__isnull=False).count() == 0
