"""Multi-part requests in a real browser (Debian's Chromium through Playwright) over the real
catalog and the embedded LLM: the reply's parts, a card slot per film of the plan with each
part's heading, the sub-goals in the live trace, a follow-up that swaps one film, a budget.

With CONVREC_SCREENSHOTS=<folder> (docs/img for the README's) the compound turn's screenshot
is also written there as compound-request.png; without it the tree is left alone."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.ui.conftest import ChatPage

pytestmark = pytest.mark.integration

COMPOUND = "a cartoon for my nephew and a war drama for my dad"
HEADINGS = ["A cartoon for your nephew", "A war drama for your dad"]
# read at import: every test runs with a clean CONVREC_* environment
SCREENSHOTS = os.environ.get("CONVREC_SCREENSHOTS")

# Every text the chat shows while a turn streams: the live trace is in it before the step
# collapses.
TRACE_WATCH = """() => {
  window.__seen = [];
  const chat = document.querySelector('#chat');
  new MutationObserver(() => {
    const text = chat.innerText;
    if (window.__seen[window.__seen.length - 1] !== text) window.__seen.push(text);
  }).observe(chat, {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture
def plan_chat(browser, ui_server, artifacts_dir, request) -> Iterator[ChatPage]:
    """A fresh browser context at the README screenshot's size, with the app open."""
    _, url = ui_server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    chat = ChatPage(context.new_page(), url, artifacts_dir,
                    request.node.name.removeprefix("test_")).open()
    yield chat
    try:
        chat.shot("end")
    finally:
        context.close()


def _groups(chat: ChatPage) -> list[str]:
    return chat.page.eval_on_selector_all(
        ".card-slot .rec-card", "els => els.map(e => e.dataset.group)")


def _card_headings(chat: ChatPage) -> list[tuple[int, str]]:
    """(card index, heading) of the cards that show a part's heading."""
    return [(int(i), text) for i, text in chat.page.eval_on_selector_all(
        ".card-slot .rec-group",
        "els => els.map(e => [e.closest('.card-slot').id.split('-')[1], e.innerText.trim()])")]


def _save_readme_shot(chat: ChatPage, last: str) -> Path | None:
    """The page from its top down to the card `last`, the chat scrolled to the request."""
    if not SCREENSHOTS:
        return None
    path = Path(SCREENSHOTS) if Path(SCREENSHOTS).is_absolute() else REPO_ROOT / SCREENSHOTS
    path.mkdir(parents=True, exist_ok=True)
    chat.page.evaluate("document.querySelector('#chat [data-testid=\"user\"]')"
                       ".scrollIntoView({block: 'start'})")
    chat.page.evaluate("window.scrollTo(0, 0)")
    box = chat.page.locator(last).bounding_box()
    assert box is not None
    shot = path / "compound-request.png"
    chat.page.screenshot(path=str(shot), full_page=True, clip={
        "x": 0, "y": 0, "width": 1280, "height": round(box["y"] + box["height"] + 12)})
    return shot


def test_a_two_part_request_shows_each_part_and_swaps_one_film(plan_chat, ui_pool):
    chat = plan_chat
    chat.page.evaluate(TRACE_WATCH)
    chat.send(COMPOUND)
    reply = chat.messages("bot")[-1]
    assert all(h in reply for h in HEADINGS), reply
    ids = chat.card_ids()
    assert len(ids) == 6
    assert chat.page.locator(".card-slot:visible").count() == 6
    assert not chat.page.locator("#card-6").is_visible()
    groups = _groups(chat)
    assert set(groups) == set(HEADINGS) and groups == sorted(groups, key=HEADINGS.index)
    # the heading shows on the first card of each part, and only there
    firsts = [i for i, g in enumerate(groups) if i == 0 or g != groups[i - 1]]
    assert _card_headings(chat) == [(i, groups[i]) for i in firsts]
    # the live trace: the sub-goals, then each sub-goal's plan
    seen = "\n".join(chat.page.evaluate("window.__seen"))
    assert re.search(r"goals: a cartoon for my nephew \(\d+\); a war drama for my dad \(\d+\)",
                     seen), seen[-2000:]
    for heading in HEADINGS:
        assert re.search(re.escape(f"[{heading}] plan: ") + r"\S.* found [\d,]+", seen), heading
    chat.shot("compound")
    _save_readme_shot(chat, f"#card-{firsts[-1]}")

    chat.send("swap the second one")
    after = chat.card_ids()
    assert len(after) == 6 and after[1] != ids[1]
    assert [a for i, a in enumerate(after) if i != 1] == [b for i, b in enumerate(ids) if i != 1]
    assert _groups(chat) == groups
    chat.shot("swapped")

    # feedback on a card past the fifth works like on the first five, and a card that starts
    # a part keeps its heading
    chat.page.click("#card-5-reject")
    chat.wait_status("Noted")
    assert chat.page.get_attribute("#card-5 .rec-card", "data-feedback") == "reject"
    second = firsts[1]
    chat.page.click(f"#card-{second}-like")
    chat.page.wait_for_selector(f'#card-{second} .rec-card[data-feedback="like"]',
                                state="attached")
    assert chat.page.inner_text(f"#card-{second} .rec-group").strip() == groups[second]
    ledger = ui_pool.any_agent().ledger(chat.thread())
    assert after[5] in ledger.rejected and after[second] in ledger.liked


def test_a_marathon_that_fits_a_budget(plan_chat, real_catalog):
    chat = plan_chat
    chat.send("a marathon of 90s comedies that fits in five hours")
    assert "within your 5 hours" in chat.messages("bot")[-1]
    ids = chat.card_ids()
    assert ids
    items = real_catalog.items(ids)
    assert sum(i.runtime or 0 for i in items) <= 300
    assert all("Comedy" in i.genres and 1990 <= i.year <= 1999 for i in items)
