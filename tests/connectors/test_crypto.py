import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from core.crypto import SecretsUnreadable, encryption_keys_check, secrets_decrypt, secrets_encrypt, secrets_rotate

ROOT = Path(__file__).resolve().parents[2]
OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def test_rotate_reencrypts_under_the_first_key_and_then_has_nothing_to_do(settings):
    settings.ENCRYPTION_KEYS = [OLD_KEY]
    stored = secrets_encrypt({"segment_write_key": "wk-1"})
    settings.ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]

    rotated = secrets_rotate(stored)

    assert Fernet(NEW_KEY.encode()).decrypt(rotated.encode()) == b'{"segment_write_key": "wk-1"}'
    assert secrets_rotate(rotated) is None
    assert secrets_rotate("") is None
    settings.ENCRYPTION_KEYS = [NEW_KEY]
    assert secrets_decrypt(rotated) == {"segment_write_key": "wk-1"}


def test_rotate_of_secrets_no_key_decrypts_raises(settings):
    settings.ENCRYPTION_KEYS = [OLD_KEY]
    stored = secrets_encrypt({"segment_write_key": "wk-1"})
    settings.ENCRYPTION_KEYS = [NEW_KEY]

    with pytest.raises(SecretsUnreadable):
        secrets_rotate(stored)


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ([], "ENCRYPTION_KEYS must list one or more Fernet keys"),
        ([NEW_KEY, "not-a-key"], "ENCRYPTION_KEYS: key 2 of 2 is not a Fernet key (32 bytes in url-safe base64)"),
        # base64 of "short": 5 bytes where Fernet wants 32.
        (["c2hvcnQ="], "ENCRYPTION_KEYS: key 1 of 1 is not a Fernet key"),
        ([NEW_KEY, "", OLD_KEY], "ENCRYPTION_KEYS: key 2 of 3 is empty"),
    ],
)
def test_a_malformed_key_list_is_refused_by_place_without_repeating_the_key(keys, message):
    with pytest.raises(ImproperlyConfigured) as refused:
        encryption_keys_check(keys)

    assert str(refused.value).startswith(message)
    assert "not-a-key" not in str(refused.value)


def test_the_app_checks_the_key_list_when_it_starts(settings):
    settings.ENCRYPTION_KEYS = [NEW_KEY, "not-a-key"]

    with pytest.raises(ImproperlyConfigured, match="key 2 of 2 is not a Fernet key"):
        apps.get_app_config("connectors").ready()


def test_a_process_with_a_malformed_key_list_does_not_start(tmp_path):
    env = {"EE_CONNECT_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "ENCRYPTION_KEYS": f"{NEW_KEY}, ,{OLD_KEY}"}

    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 1
    assert "ImproperlyConfigured: ENCRYPTION_KEYS: key 2 of 3 is empty" in result.stderr


def test_keys_with_spaces_around_the_commas_start(tmp_path):
    env = {"EE_CONNECT_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "ENCRYPTION_KEYS": f"{NEW_KEY} , {OLD_KEY}"}

    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert (result.returncode, result.stdout) == (0, "System check identified no issues (0 silenced).\n")
