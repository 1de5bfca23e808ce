import copy
import hashlib
import json
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from connectors.models import AuthToken
from connectors.tokens import (
    TokenAmbiguous,
    TokenNotFound,
    token_issue,
    token_register,
    token_revoke,
    token_verify,
)
from events.models import Event
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


# 28 characters drawn at random once (letters, digits, punctuation): what a password manager makes.
CLIENT_KEY = "pV7#qL2x!Rn9@tK4wZ8^mD3sHf6B"


def test_register_stores_the_clients_key_hashed_under_a_label_from_its_hash():
    connector = ConnectorFactory()

    token = token_register(connector=connector, direction="in", value=CLIENT_KEY, label="Acme's own")

    digest = hashlib.sha256(CLIENT_KEY.encode()).hexdigest()
    stored = AuthToken.objects.get()
    assert stored.pk == token.pk
    assert stored.token_hash == digest
    # "key_in_" and the hash's first 8 hex digits: none of the key's own characters.
    assert stored.prefix == f"key_in_{digest[:8]}"
    assert (stored.connector, stored.direction, stored.label) == (connector, "in", "Acme's own")
    assert not any(CLIENT_KEY[:4] in str(value) for value in AuthToken.objects.values().get().values())


def test_a_registered_key_is_verified_like_an_issued_token():
    connector = ConnectorFactory()
    token = token_register(connector=connector, direction="out", value=CLIENT_KEY)

    assert token_verify(connector=connector, direction="out", presented=CLIENT_KEY).pk == token.pk
    assert token_verify(connector=connector, direction="in", presented=CLIENT_KEY) is None
    assert token_verify(connector=connector, direction="out", presented=CLIENT_KEY[:-1]) is None


def test_the_webhook_accepts_a_registered_key_and_refuses_it_once_revoked(client):
    connector = ConnectorFactory()
    token = token_register(connector=connector, direction="out", value=CLIENT_KEY)
    body = copy.deepcopy(kind_get("air_segment").samples[Direction.OUT]["SERVICE.WALLET.ACCOUNTS.CREATE"])
    body["headers"]["eesEventId"] = str(uuid.uuid4())

    def post():
        return client.post(
            f"/out/segment/{connector.public_id}", data=json.dumps(body), content_type="application/json",
            HTTP_X_AUTH_TOKEN=CLIENT_KEY,
        )

    accepted = post()
    token_revoke(prefix_or_id=token.prefix)
    refused = post()

    assert accepted.status_code == 200
    assert refused.status_code == 403
    assert Event.objects.count() == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        # 23 characters: one short of the minimum.
        ("pV7#qL2x!Rn9@tK4wZ8^mD3", "at least 24 characters long; this one has 23"),
        ("x" * 257, "at most 256 characters long; this one has 257"),
        ("pV7#qL2x Rn9@tK4wZ8^mD3sHf6B", "visible ASCII characters, without spaces"),
        ("pV7#qL2x!Rn9@tK4wZ8^mD3sHf6é", "visible ASCII characters, without spaces"),
        ("a" * 30, "must not be one character repeated"),
        ("abcabcabcabcabcabcabcabc", "made of repeated characters"),
        ("password123456789012345678", "made of dictionary words or common passwords, sequences such as abcd"),
        ("correcthorsebatterystaple", "made of dictionary words or common passwords (about 10^14 guesses"),
        ("1qaz2wsx3edc4rfv5tgb6yhn7ujm", "dictionary words or common passwords, keyboard runs such as qwerty"),
        ("P@ssw0rdP@ssw0rdP@ssw0rd!", "is guessable"),
    ],
)
def test_register_refuses_a_short_or_guessable_key_naming_the_field(value, message):
    with pytest.raises(ValidationError) as refused:
        token_register(connector=ConnectorFactory(), direction="in", value=value)

    assert list(refused.value.message_dict) == ["value"]
    assert message in refused.value.message_dict["value"][0]
    assert AuthToken.objects.count() == 0


def test_a_random_key_of_24_digits_the_poorest_alphabet_is_accepted():
    # 24 random digits are 10^24 keys; zxcvbn estimates such a draw at 10^17 or more (over 10^16).
    token_register(connector=ConnectorFactory(), direction="in", value="804716253990418276305182")

    assert AuthToken.objects.count() == 1


def test_a_key_already_registered_is_refused_wherever_it_is_live_or_revoked():
    first, second = ConnectorFactory(), ConnectorFactory()
    token = token_register(connector=first, direction="in", value=CLIENT_KEY)

    with pytest.raises(ValidationError) as same_place:
        token_register(connector=first, direction="in", value=CLIENT_KEY)
    with pytest.raises(ValidationError) as elsewhere:
        token_register(connector=second, direction="out", value=CLIENT_KEY)
    token_revoke(prefix_or_id=str(token.pk))
    with pytest.raises(ValidationError) as revoked:
        token_register(connector=first, direction="in", value=CLIENT_KEY)

    assert same_place.value.message_dict == {
        "value": [
            "This key is already registered (live, for this connector and direction); ask the client for a new one."
        ]
    }
    assert elsewhere.value.message_dict["value"][0].startswith("This key is already registered (live, for another")
    assert revoked.value.message_dict["value"][0].startswith("This key is already registered (revoked, for this")
    assert AuthToken.objects.count() == 1


def test_register_refuses_an_unknown_direction():
    with pytest.raises(ValidationError) as refused:
        token_register(connector=ConnectorFactory(), direction="sideways", value=CLIENT_KEY)

    assert list(refused.value.message_dict) == ["direction"]
    assert AuthToken.objects.count() == 0
