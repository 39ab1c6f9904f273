"""Fixtures for the real-browser tests: one Chromium for the session, a fresh context per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from tests.web.browser import Guard, guard, launch


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., tuple[BrowserContext, Guard]]]:
    """Open a fresh, guarded browser context (closed after the test): ``new_context(java_script_enabled=False)``."""
    opened: list[BrowserContext] = []

    def open_context(*, canary: bool = True, **options) -> tuple[BrowserContext, Guard]:
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        opened.append(context)
        return context, guard(context, canary=canary)

    yield open_context
    for context in opened:
        context.close()
