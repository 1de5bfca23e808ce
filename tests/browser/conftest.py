"""Browser tests: the console driven in headless Chromium against pytest-django's live server.

Playwright's own browsers are not downloaded: the tests drive the system's Chromium (``.ci/run``
installs it). Without one they skip, so the suite still passes on a machine that has none, except
in CI (``CI=true``), where a missing browser fails rather than silently testing nothing.
"""

import os
import shutil

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from core.groups import groups_sync

# Long enough for a slow CI machine, short enough that a missing element fails the test quickly.
TIMEOUT_MS = 10_000
NO_CHROMIUM = "no Chromium found: the browser tests need `chromium` on PATH (apt-get install chromium)"


@pytest.fixture
def browser(monkeypatch):
    """Chromium, started for each test: Playwright's sync API marks its event loop as the thread's
    running loop from start to stop, and Django refuses database calls under a running loop. The
    test's own calls are synchronous all the same, so the check is lifted for this test only (a
    browser kept for the session would leave the loop marked under every later test)."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail(NO_CHROMIUM)
        pytest.skip(NO_CHROMIUM)
    with sync_playwright() as playwright:
        # Root in a container has no user namespaces for Chromium's sandbox.
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, tmp_path):
    """A fresh browser tab (no cookies) whose relative addresses go to the live server."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def staff_user(*, username: str, group: str, password: str):
    """A staff user in one of the groups of core.groups. The groups are synced first: these
    tests run on a transactional database, emptied after each test, groups made by migrations too."""
    groups_sync()
    user = get_user_model().objects.create_user(username, password=password, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def log_in(page, *, username: str, password: str) -> None:
    """Through the real login form, as a person would (django-axes checks it)."""
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test's page as it was when the test failed, saved beside the test's files and named
    in the failure."""
    report = yield
    page = item.funcargs.get("page")
    if report.when == "call" and report.failed and page is not None:
        path = item.funcargs["tmp_path"] / "failure.png"
        try:
            page.screenshot(path=path, full_page=True)
            note = f"{path} (at {page.url})"
        except PlaywrightError as error:
            note = f"none could be taken: {error}"
        report.sections.append(("Screenshot of the page", note))
    return report
