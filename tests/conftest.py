import pytest


@pytest.fixture(autouse=True)
def _sandbox_enabled(settings):
    settings.SANDBOX_ENABLED = True


@pytest.fixture(autouse=True)
def hints(monkeypatch, settings):
    """Task hints the code under test sends, recorded instead of reaching a broker, and sent on
    commit by the committing thread so a test sees them at once (the web server's background
    sender has its own tests).

    End-to-end tests run their own broker and workers; the test process itself never needs one.
    """
    settings.DELIVERY_HINTS_IN_BACKGROUND = False
    sent: list[tuple[str, list]] = []

    def send_task(name, args=None, **kwargs):
        sent.append((name, list(args or [])))

    monkeypatch.setattr("events.delivery.queue.current_app.send_task", send_task)
    return sent


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
