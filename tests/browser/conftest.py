"""Browser tests: the real app on a loopback port, driven by Debian's Chromium.

The app runs in a background thread with a SQLite database of its own, filled
with the demo data (`reception.services.demo`), so these tests see what a
person trying Mottagning sees; each test module gets a fresh server and data.
One browser serves the whole session; every test gets a fresh browser context
(no cookies). Without /usr/bin/chromium, or
without Playwright, every test here is skipped with the reason.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import WSGIRequestHandler, make_server

from reception import create_app, demo
from reception.config import PROJECT_ROOT
from reception.extensions import db
from reception.models.tenancy import system
from reception.timeutil import today

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
AXE_SCRIPT = PROJECT_ROOT / "static" / "vendor" / "axe-core" / "axe.min.js"

# Demo users, one per role (reception/services/demo.py).
COORDINATOR = "amira.lind@bracke.example"
MANAGER = "karin.holm@bracke.example"
FINANCE = "erik.sund@bracke.example"
ADMIN = "admin@bracke.example"


def _skip_reason() -> str | None:
    if not os.access(CHROMIUM, os.X_OK):
        return (
            f"{CHROMIUM} is missing: install Debian's chromium and chromium-driver "
            "(apt-get install chromium chromium-driver) to run the browser tests"
        )
    if os.environ.get("TEST_DATABASE_URL"):
        # They use a SQLite database of their own, so a second run would test nothing new.
        return "the browser tests run in the SQLite pass only"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[test]')"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _skip_reason()
    if reason is None:
        return
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.skip(reason=reason))


class QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Requests are not logged: failures say which page they were on."""


@dataclass
class LiveServer:
    app: Flask
    url: str

    def path(self, path: str) -> str:
        return self.url + path


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    instance = tmp_path_factory.mktemp("browser")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'browser.db'}",
            "SECRET_KEY": "browser-tests",
            # Not TESTING (errors must render as the user sees them), so the in-process
            # scheduler would start with the first request and deliver the demo's reminders
            # into the project's instance/outbox: keep it off, and any mail in tmp.
            "SCHEDULER_IN_PROCESS": False,
            "MAIL_OUTBOX_DIR": str(instance / "outbox"),
        }
    )
    with app.app_context():
        upgrade()
        with system(db.session):
            demo.load(today())
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()
    assert "scheduler" not in app.extensions, "the live server started the scheduler"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    # Swedish first, as the municipality's staff see it; a test switches when it needs to.
    context = browser.new_context(
        base_url=live_server.url, locale="sv-SE", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(5000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def axe() -> Any:
    from axe_playwright_python.sync_playwright import Axe

    # The copy the app vendors (static/vendor/axe-core), not the one bundled with the package.
    return Axe.from_file(AXE_SCRIPT)


def sign_in(page: Any, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", demo.DEMO_PASSWORD)
    page.locator("form[action$='/login'] button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, f"sign-in failed for {email}"


def switch_language(page: Any, language: str) -> None:
    """Use the header's language button, unless the page is in that language already."""
    if page.locator("html").get_attribute("lang") != language:
        page.locator(f".site-header button[lang='{language}']").click()
        page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == language
