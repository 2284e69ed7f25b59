"""Fixtures for the browser tests.

- `browser` (session): Debian's Chromium, headless, launched by Playwright.
- `server` (module): one real `sesame serve` per test module, on a free port with its
  own data directory; `fresh_server` (function) for a test that stops and restarts it.
- `device` (function): a fresh browser context ("a phone") with a page and a virtual
  authenticator; `new_device_factory()` makes more of them, `new_plain_context()` makes
  contexts without one (JavaScript off, a visitor). Contexts are closed at teardown; when
  the test failed, their pages are screenshotted into e2e/artifacts/ and the tail of the
  server's log is printed.
- `name` (function): a display name no other test uses.

The helpers (`signup`, `sign_in`, `add_authenticator`, …) live in `e2e/helpers.py`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from .helpers import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    SAFETY_NET,
    Authenticator,
    SesameServer,
    new_context,
    new_device,
)

# Other work may share the 2 cores: `expect` waits for its condition; the bound is
# only a safety net against a hang (helpers.SAFETY_NET), never the pass criterion.
expect.set_options(timeout=SAFETY_NET * 1000)

_names = itertools.count(1)
FIRST_NAMES = ["Awa", "Karim", "Mariam", "Yusuf", "Leïla", "Tenzin", "Oksana", "Moussa", "Farida"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _server(name: str, request: pytest.FixtureRequest | None = None) -> Iterator[SesameServer]:
    server = SesameServer(name)
    server.start()
    try:
        yield server
        if request is not None and request.node.stash.get(_failed, False):
            _print_log("fresh_server", server)  # a test's own server: its log before it goes
    finally:
        server.cleanup()


def _print_log(fixture: str, server: SesameServer) -> None:
    """The server's log after a failure: the last lines, without Litestream's own."""
    lines = [line for line in server.log().splitlines() if not line.startswith("time=")]
    print(f"--- {fixture} log (last lines) ---")
    print("\n".join(lines[-80:]))


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest) -> Iterator[SesameServer]:
    """One server per test module (its rate limits and its bootstrap link are its own)."""
    yield from _server(request.module.__name__.rsplit(".", 1)[-1])


@pytest.fixture
def fresh_server(request: pytest.FixtureRequest) -> Iterator[SesameServer]:
    """A server of the test's own, which the test may stop and start again."""
    yield from _server(request.node.name, request)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_failed] = report.failed
    return report


_failed = pytest.StashKey[bool]()


def _keep_failure(request: pytest.FixtureRequest, pages: list[list[Page]], prefix: str = "failed") -> None:
    """After a failure: screenshot the pages, print the tail of the server's log."""
    ARTIFACTS.mkdir(exist_ok=True)
    for i, group in enumerate(pages):
        for j, page in enumerate(group):
            path = ARTIFACTS / f"{prefix}-{request.node.name}-{i}-{j}.png"
            try:
                page.screenshot(path=str(path), full_page=True)
                print(f"screenshot of {page.url}: {path}")
            except Exception as error:  # a crashed page must not hide the failure
                print(f"no screenshot of {page.url}: {error}")
    # A test's own server prints its log as it stops (it may be gone already).
    if "server" in request.fixturenames:
        _print_log("server", request.getfixturevalue("server"))


def _close(request: pytest.FixtureRequest, contexts: list[BrowserContext]) -> None:
    """Close the test's contexts; after a failure, keep what the pages showed."""
    if request.node.stash.get(_failed, False) and contexts:
        _keep_failure(request, [context.pages for context in contexts])
    for context in contexts:
        context.close()


@pytest.fixture
def watched_pages(request: pytest.FixtureRequest) -> Iterator[list[Page]]:
    """Pages of longer-lived contexts (a module fixture's) that a test uses: appended
    to this list, they are screenshotted if the test fails (they are not closed)."""
    pages: list[Page] = []
    yield pages
    if request.node.stash.get(_failed, False) and pages:
        _keep_failure(request, [pages], prefix="failed-watched")


def _base_url(request: pytest.FixtureRequest, target: SesameServer | None) -> str:
    return (target or request.getfixturevalue("server")).base_url


Device = tuple[BrowserContext, Page, Authenticator]


@pytest.fixture
def new_device_factory(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Callable[..., Device]]:
    contexts: list[BrowserContext] = []

    def make(target: SesameServer | None = None, **options: Any) -> Device:
        context, page, authenticator = new_device(browser, _base_url(request, target), **options)
        contexts.append(context)
        return context, page, authenticator

    yield make
    _close(request, contexts)


@pytest.fixture
def new_plain_context(
    browser: Browser, request: pytest.FixtureRequest
) -> Iterator[Callable[..., BrowserContext]]:
    """Contexts with no authenticator (JavaScript off, a visitor, …)."""
    contexts: list[BrowserContext] = []

    def make(target: SesameServer | None = None, **options: Any) -> BrowserContext:
        context = new_context(browser, _base_url(request, target), **options)
        contexts.append(context)
        return context

    yield make
    _close(request, contexts)


@pytest.fixture
def device(new_device_factory: Callable[..., Device]) -> Device:
    return new_device_factory()


@pytest.fixture
def name(request: pytest.FixtureRequest) -> str:
    """A display name of the test's own (several tests share one server)."""
    n = next(_names)
    return f"{FIRST_NAMES[n % len(FIRST_NAMES)]} Test{n}"
