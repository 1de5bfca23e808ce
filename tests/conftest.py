import pytest


@pytest.fixture(autouse=True)
def _sandbox_and_keys(settings):
    settings.SANDBOX_ENABLED = True


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
