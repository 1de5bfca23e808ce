import pytest


@pytest.fixture(autouse=True)
def _sandbox_and_keys(settings):
    settings.SANDBOX_ENABLED = True
