"""The browser app under test: served on a free loopback port over the real catalog and
indexes with the embedded LLM, and driven by Debian's Chromium through Playwright.

Chromium runs headless with the flags that keep it off the network (this machine's
network is closed: without them it floods it with refused connections). Screenshots go
to test-artifacts/ui/ (CONVREC_TEST_ARTIFACTS overrides), one per step worth seeing and
one at the end of every browser test.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT

CHROMIUM = Path(os.environ.get("CONVREC_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TURN_TIMEOUT_MS = 120_000  # a cold first turn loads models on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(os.environ.get("CONVREC_TEST_ARTIFACTS") or REPO_ROOT / "test-artifacts") / "ui"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def ui_settings(real_resources, real_catalog_path, llm_cache_dir, tmp_path_factory,
                sim_settings, sim_home):
    from convrec.config import Settings

    home = tmp_path_factory.mktemp("ui-home")
    # The evaluation home (catalog and indexes without the held-out films) is the simulation
    # tests': the Evaluate and Train tabs' jobs find it there instead of building another.
    (home / "eval").symlink_to(sim_settings.home / "eval", target_is_directory=True)
    return Settings(
        home=home, catalog_path=real_catalog_path,
        index_dir=real_resources.index_dir, llm_cache_dir=llm_cache_dir,
        ui_port=free_port(), ui_rate_limit=1000, llm_backend="local",
        runs_dir=tmp_path_factory.mktemp("ui-runs"),
    )


@pytest.fixture(scope="session")
def ui_pool(ui_settings, real_resources):
    from convrec.ui.backends import AgentPool

    return AgentPool(ui_settings, resources=real_resources)


@pytest.fixture(scope="session")
def ui_server(ui_settings, ui_pool) -> Iterator[tuple[Any, str]]:
    """(ChatApp, base URL) of the app, served for the whole session."""
    from convrec.ui.app import ChatApp, serve

    app = ChatApp(ui_settings, pool=ui_pool)
    demo, url = serve(app, block=False)
    yield app, url.rstrip("/")
    demo.close()
    app.jobs.close()


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Chromium for the tests of this package. Playwright's sync API keeps an event loop
    running in this thread while it is open, so it closes before other packages run
    (asyncio.run would refuse to start there)."""
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CONVREC_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                              args=CHROMIUM_FLAGS, headless=True)
        yield chromium
        chromium.close()


class ChatPage:
    """One browser tab on the app, with the moves a person makes."""

    def __init__(self, page: Any, base_url: str, shots: Path, name: str) -> None:
        self.page = page
        self.base_url = base_url
        self.shots = shots
        self.name = name

    def open(self, query: str = "") -> ChatPage:
        self.page.goto(self.base_url + "/" + query)
        self.page.wait_for_selector("#turn-marker .turn-marker", state="attached",
                                    timeout=TURN_TIMEOUT_MS)
        return self

    # ---------------------------------------------------------------- reading

    def turn(self) -> int:
        return int(self.page.get_attribute("#turn-marker .turn-marker", "data-turn") or 0)

    def thread(self) -> str:
        return self.page.get_attribute("#turn-marker .turn-marker", "data-thread") or ""

    def card_ids(self) -> list[int]:
        return [int(x) for x in self.page.eval_on_selector_all(
            ".card-slot .rec-card", "els => els.map(e => e.dataset.itemId)")]

    def chips(self) -> list[str]:
        labels = self.page.eval_on_selector_all(
            "#chips button.chip", "els => els.filter(e => e.offsetParent !== null)"
            ".map(e => e.innerText)")
        return [re.sub(r"\s*✕\s*$", "", label).strip() for label in labels]

    def status(self) -> str:
        return self.page.inner_text("#status")

    def messages(self, role: str) -> list[str]:
        return self.page.eval_on_selector_all(
            f'#chat [data-testid="{role}"]', "els => els.map(e => e.innerText)")

    # ---------------------------------------------------------------- acting

    def send(self, text: str, *, expect_turn: bool = True) -> None:
        before = self.turn()
        self.page.fill("#msg textarea", text)
        self.page.click("#send")
        if expect_turn:
            self.page.wait_for_selector(f'#turn-marker [data-turn="{before + 1}"]',
                                        state="attached", timeout=TURN_TIMEOUT_MS)

    def wait_status(self, pattern: str, timeout: float = 30_000) -> str:
        self.page.wait_for_function(
            "re => new RegExp(re, 'i').test(document.querySelector('#status')?.innerText || '')",
            arg=pattern, timeout=timeout)
        return self.status()

    def pick_user(self, user_id: str) -> None:
        self.page.click("#user input")
        self.page.fill("#user input", user_id)
        self.page.click(f'[role="option"][aria-label^="{user_id} "]')
        self.page.wait_for_function(
            "u => (document.querySelector('#status')?.innerText || '').includes(u)",
            arg=user_id, timeout=30_000)

    def open_panel(self, panel_id: str, content: str) -> None:
        """Open an accordion (a click on its header) until `content` shows."""
        if not self.page.locator(content).is_visible():
            self.page.locator(f"#{panel_id} > .label-wrap, #{panel_id} button").first.click()
        self.page.locator(content).wait_for(state="visible")

    def shot(self, step: str, *, height: int | None = None) -> Path:
        """The whole page; with `height`, only its top `height` pixels (the README's)."""
        path = self.shots / f"{self.name}-{step}.png"
        if height is None:
            self.page.screenshot(path=str(path), full_page=True)
        else:
            self.page.evaluate("window.scrollTo(0, 0)")
            self.page.screenshot(path=str(path), full_page=True,
                                 clip={"x": 0, "y": 0, "width": 1400, "height": height})
        return path


@pytest.fixture
def chat(browser, ui_server, artifacts_dir, request) -> Iterator[ChatPage]:
    """A fresh browser context (its own storage) with the app open."""
    _, url = ui_server
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    name = request.node.name.removeprefix("test_")
    chat_page = ChatPage(page, url, artifacts_dir, name).open()
    yield chat_page
    try:
        chat_page.shot("end")
    finally:
        context.close()


@pytest.fixture
def new_chat_page(browser, ui_server, artifacts_dir, request) -> Iterator[Any]:
    """A factory of more pages, each in its own browser context."""
    _, url = ui_server
    contexts = []

    def make(label: str) -> ChatPage:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        contexts.append(context)
        name = f"{request.node.name.removeprefix('test_')}-{label}"
        return ChatPage(context.new_page(), url, artifacts_dir, name).open()

    yield make
    for context in contexts:
        context.close()
