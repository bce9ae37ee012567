"""A real browser for the console tests: Playwright (PyPI) driving Debian's Chromium, which is
installed on first use; the tests skip with the reason where no browser can be had (fail in CI)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.console import browser_sign_in
from support.debian import ensure_packages
from support.needs import unavailable
from support.server import LiveServer, ServerFactory

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    why_not = ensure_packages(["chromium"], [CHROMIUM])
    if why_not:
        unavailable(f"no browser: {why_not}")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as exc:
        unavailable(f"no browser: playwright is not installed ({exc})")
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required", "--mute-audio"],
            )
        except Error as exc:
            unavailable(f"no browser: {CHROMIUM} does not start under Playwright: {exc.message[:300]}")
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def console_server(
    session_server_factory: ServerFactory, tmp_path_factory: pytest.TempPathFactory
) -> LiveServer:
    return session_server_factory(tmp_path_factory.mktemp("console"))


@pytest.fixture()
def page(browser: Any, console_server: LiveServer) -> Iterator[Any]:
    """A desktop-sized page, signed in to the console."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    browser_sign_in(opened, console_server)
    yield opened
    context.close()
