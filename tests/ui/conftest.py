"""Headless Chromium (Debian's, driven by Playwright) against a real service process."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.support.paths import ARTIFACTS_DIR
from tests.support.service import RegistryService

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = ARTIFACTS_DIR / "ui"
expect.set_options(timeout=15_000)


def chromium_path() -> str:
    found = shutil.which("chromium")
    if found is None:
        raise AssertionError(
            "chromium is not installed; `make deps` installs Debian's chromium package"
        )
    return found


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@dataclass
class Dashboard:
    """One browser context signed in (or not) to one service's dashboard."""

    service: RegistryService
    context: BrowserContext
    page: Page

    def url(self, path: str = "") -> str:
        return f"{self.service.url}/ui{path}"

    def sign_in(self, token: str | None = None) -> Page:
        self.page.goto(self.url("/login"))
        self.page.get_by_label("API token").fill(token or self.service.token)
        self.page.get_by_role("button", name="Sign in").click()
        expect(self.page.get_by_role("heading", name="Container registries")).to_be_visible()
        return self.page

    def open_registry(self, name: str) -> Page:
        self.page.goto(self.url(f"/registries/{name}"))
        expect(self.page.get_by_role("heading", name=name, exact=True)).to_be_visible()
        return self.page

    def screenshot(self, name: str, full_page: bool = True) -> None:
        """Desktop and phone screenshots of the current page (whole page unless a dialog)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            self.page.set_viewport_size(size)
            path = SCREENSHOTS / f"{name}-{label}.png"
            self.page.screenshot(path=str(path), full_page=full_page)
        self.page.set_viewport_size(DESKTOP)

    def api(self) -> httpx.Client:
        return self.service.api()


@pytest.fixture
def dashboard(browser: Browser, service: RegistryService) -> Iterator[Dashboard]:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    yield Dashboard(service, context, page)
    context.close()


@pytest.fixture
def no_js_dashboard(browser: Browser, service: RegistryService) -> Iterator[Dashboard]:
    """The same dashboard with JavaScript off: every flow must still work."""
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    yield Dashboard(service, context, page)
    context.close()
