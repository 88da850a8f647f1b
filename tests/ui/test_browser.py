"""The chat app in a real browser (Debian's Chromium through Playwright) over the real
catalog and the embedded LLM: what a person sees and clicks."""

from __future__ import annotations

import pytest

from convrec.tools.context import ToolContext

pytestmark = pytest.mark.integration

STREAM_WATCH = """() => {
  window.__replies = [];
  const chat = document.querySelector('#chat');
  new MutationObserver(() => {
    const bots = chat.querySelectorAll('[data-testid="bot"]');
    const last = bots.length ? bots[bots.length - 1].innerText.trim() : '';
    if (last && window.__replies[window.__replies.length - 1] !== last) {
      window.__replies.push(last);
    }
  }).observe(chat, {subtree: true, childList: true, characterData: true});
}"""


def _film(catalog, item_id):
    item = catalog.items([item_id])[0]
    cast = {r[0] for r in catalog.query(
        "SELECT p.name FROM credits c JOIN people p USING (person_id) WHERE c.item_id = ?",
        [item_id])}
    return item, cast


def test_comedy_from_the_90s_without_sandler(chat, real_catalog):
    chat.page.evaluate(STREAM_WATCH)
    chat.send("a comedy from the 90s, nothing with Adam Sandler")
    ids = chat.card_ids()
    assert len(ids) >= 3
    for item_id in ids:
        item, cast = _film(real_catalog, item_id)
        assert "Comedy" in item.genres, item.title
        assert 1990 <= item.year <= 1999, item.title
        assert "Adam Sandler" not in cast, item.title
    replies = chat.page.evaluate("window.__replies")
    assert len(replies) >= 3, f"the reply was not streamed: {replies}"
    assert set(chat.chips()) == {"Comedy", "1990-1999", "no Adam Sandler"}
    step = chat.page.locator('#chat [data-testid="bot"]').first
    assert step.inner_text().startswith("Plan: filter_items")  # the plan, as a step
    if "understand" not in step.inner_text():  # collapsed once done: open it
        step.get_by_text("Plan: filter_items").click()
    step.get_by_text("understand:").wait_for()
    assert "filter: 13,507 ->" in step.inner_text()  # and the tool trace inside it
    card_text = chat.page.inner_text("#card-0")
    assert "Why:" in card_text and "Not for me" in card_text
    chat.shot("cards")


def test_not_for_me_never_comes_back(chat, ui_pool):
    chat.send("a funny animated film")
    first = chat.card_ids()
    rejected = first[0]
    chat.page.click("#card-0-reject")
    chat.wait_status("Noted")
    assert chat.page.get_attribute("#card-0 .rec-card", "data-feedback") == "reject"
    seen: list[int] = []
    for message in ("more please", "any others?", "more"):
        chat.send(message)
        seen += chat.card_ids()
    assert seen and rejected not in seen
    ledger = ui_pool.any_agent().ledger(chat.thread())
    assert rejected in ledger.rejected
    logged = ui_pool.feedback_log.rows(chat.thread())
    assert [(r.item_id, r.kind, r.source) for r in logged] == [(rejected, "reject", "ui")]
    assert logged[0].at.endswith("+00:00")


def test_removing_a_chip_changes_the_next_answer(chat, real_catalog):
    chat.send("a comedy from the 90s")
    assert set(chat.chips()) == {"Comedy", "1990-1999"}
    for item_id in chat.card_ids():
        assert 1990 <= real_catalog.items([item_id])[0].year <= 1999
    chat.page.locator("#chips button.chip", has_text="1990-1999").click()
    chat.wait_status("Dropped")
    chat.page.wait_for_function(
        "() => ![...document.querySelectorAll('#chips button.chip')]"
        ".some(b => b.offsetParent !== null && b.innerText.includes('1990'))")
    assert chat.chips() == ["Comedy"]
    chat.send("more please")
    years = [real_catalog.items([i])[0].year for i in chat.card_ids()]
    genres = [real_catalog.items([i])[0].genres for i in chat.card_ids()]
    assert any(not 1990 <= y <= 1999 for y in years), years
    assert all("Comedy" in g for g in genres)
    chat.shot("chip-removed")


def test_two_browsers_do_not_share_a_conversation(new_chat_page, ui_pool):
    alice = new_chat_page("alice")
    bob = new_chat_page("bob")
    alice.send("a horror film from the 80s")
    bob.send("a romantic comedy")
    assert alice.thread() != bob.thread()
    assert "Horror" in alice.chips() and not any("Romance" in c for c in alice.chips())
    assert "Horror" not in bob.chips() and "Romance" in " ".join(bob.chips())
    assert not any("horror" in m for m in bob.messages("user"))
    assert not any("romantic" in m for m in alice.messages("user"))
    alice.send("more please")
    assert "Horror" in alice.chips()
    reader = ui_pool.any_agent()
    assert len(reader.state(bob.thread())["history"]) == 2  # bob's one turn, untouched
    alice.shot("alice")
    bob.shot("bob")


def test_reload_resumes_the_thread(chat):
    chat.send("a science fiction film from the 80s")
    thread, cards, chips = chat.thread(), chat.card_ids(), chat.chips()
    assert f"thread={thread}" in chat.page.url
    chat.page.reload()
    chat.page.wait_for_selector(f'#turn-marker [data-thread="{thread}"]', state="attached")
    assert chat.turn() == 1
    assert any("science fiction" in m for m in chat.messages("user"))
    assert chat.card_ids() == cards and chat.chips() == chips
    chat.send("more please")
    assert chat.thread() == thread and chat.turn() == 2
    assert not set(chat.card_ids()) & set(cards)


def test_new_chat_and_resume_an_earlier_one(chat):
    chat.send("a western")
    first = chat.thread()
    chat.open_panel("panel-sessions", "#new-chat")
    chat.page.click("#new-chat")
    chat.wait_status("new chat")
    assert chat.thread() != first and chat.chips() == [] and chat.card_ids() == []
    chat.send("a musical")
    chat.page.click("#threads input")
    chat.page.locator('[role="option"]', has_text="a western").click()
    chat.page.click("#resume")
    chat.page.wait_for_selector(f'#turn-marker [data-thread="{first}"]', state="attached")
    assert [m.strip() for m in chat.messages("user")] == ["a western"]
    assert "Western" in chat.chips()


def test_a_thread_from_another_browser_is_not_resumed(new_chat_page):
    owner = new_chat_page("owner")
    owner.send("a western")
    stranger = new_chat_page("stranger").open(f"?thread={owner.thread()}")
    assert stranger.thread() != owner.thread()
    assert stranger.messages("user") == []


def test_dataset_user_profile_flip_is_honoured(chat, ui_pool, real_catalog):
    from convrec.tools.profiles.tool import load_profiles

    user, key = "ml:608", "genre:Crime"
    store = load_profiles(ToolContext(ui_pool.resources))
    assert store.list_entries(user)  # the picker's first rater has a profile
    store.restore_entry(user, key)
    try:
        chat.pick_user(user)
        profile = chat.page.inner_text("#profile")
        assert "Crime" in profile and "entries for ml:608" in profile
        entry = chat.page.locator(f'#profile details[data-key="{key}"]')
        assert entry.get_attribute("data-polarity") == "like"
        entry.locator("summary").click()
        assert "you rated" in entry.inner_text()  # provenance: the ratings behind it
        chat.shot("profile")
        chat.send("recommend me something")
        before = [real_catalog.items([i])[0].genres for i in chat.card_ids()]
        assert any("Crime" in g for g in before), before
        chat.page.click("#entry input")
        chat.page.click('[role="option"][aria-label="like genre: Crime"]')
        chat.page.click("#entry-flip")
        chat.wait_status("Flipped")
        assert entry.get_attribute("data-polarity") == "dislike"
        assert "flipped by you" in entry.inner_text()
        chat.send("more please")
        after = [real_catalog.items([i])[0].genres for i in chat.card_ids()]
        assert after and not any("Crime" in g for g in after), after
        chat.shot("profile-flipped")
        chat.send("a thriller from the 2000s, nothing with Tom Cruise")
        assert all("Thriller" in real_catalog.items([i])[0].genres for i in chat.card_ids())
        chat.shot("readme")  # docs/img/chat.png in the README
    finally:
        store.restore_entry(user, key)


def test_errors_are_shown_in_the_page(chat, ui_server):
    app, _ = ui_server
    chat.send("", expect_turn=False)
    assert "Type a message first" in chat.wait_status("message first")
    from convrec.ui.ratelimit import RateLimiter

    saved = app.limiter
    app.limiter = RateLimiter(1)
    try:
        chat.send("a thriller")
        chat.send("another one", expect_turn=False)
        assert "Too many messages" in chat.wait_status("Too many")
        assert chat.page.input_value("#msg textarea") == "another one"  # nothing is lost
    finally:
        app.limiter = saved
    assert "Traceback" not in chat.page.inner_text("body")


def test_an_endpoint_that_is_down_is_reported_and_templates_answer(chat):
    from tests.ui.conftest import free_port

    chat.open_panel("panel-settings", "#base-url textarea")
    chat.page.locator("#backend label", has_text="OpenAI-compatible").click()
    chat.page.fill("#base-url textarea", f"http://127.0.0.1:{free_port()}/v1")
    chat.page.fill("#model textarea", "some-model")
    chat.page.click("#apply-backend")
    chat.wait_status("not answering", timeout=60_000)
    assert chat.page.get_attribute("#health", "data-ok") == "false"
    chat.shot("backend-down")
    chat.send("a musical")
    assert "written from templates" in chat.status()
    assert len(chat.card_ids()) >= 3
    chat.page.locator("#backend label", has_text="Embedded").click()
    chat.page.click("#apply-backend")
    chat.wait_status("Now answering with Embedded")
    assert chat.page.get_attribute("#health", "data-ok") == "true"
