"""The browser app's parts without a browser: rate limit, rendering, backend choice, users,
and the app's handlers called directly."""

from __future__ import annotations

import pytest

from convrec.agent.goals.types import MAX_PLAN_FILMS
from convrec.config import Settings
from convrec.errors import ConfigError, ConvrecError
from convrec.ui.backends import BackendChoice
from convrec.ui.ratelimit import RateLimiter
from convrec.ui.render import (
    card_html,
    group_heading,
    health_html,
    profile_html,
    status_html,
)
from convrec.ui.trace import event_line, final_trace
from tests.fresh_process import run_fresh


def test_rate_limit_is_a_sliding_minute_per_client():
    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert limiter.hit("a") == 0 and limiter.hit("a") == 0
    assert limiter.hit("a") == pytest.approx(60.0)
    assert limiter.hit("b") == 0  # another client is not affected
    now[0] = 30.0
    assert limiter.hit("a") == pytest.approx(30.0)
    now[0] = 60.0
    assert limiter.hit("a") == 0
    assert RateLimiter(0).hit("a") == 0  # 0 disables the limit


def test_cards_escape_everything_they_show():
    card = {"item_id": 7, "title": "<script>alert(1)</script>", "year": 1999,
            "genres": ["Comedy"], "runtime": 95, "directors": ["A & B"],
            "cast": ["C", "D", "E", "F"], "overview": "<b>x</b>", "reason": "fits \"you\""}
    html = card_html(card, 1, "reject")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>x</b>" not in html and "A &amp; B" in html
    assert 'data-item-id="7"' in html and 'data-feedback="reject"' in html
    assert "with C, D, E" in html and "F" not in html.split("with C, D, E")[1].split("<")[0]
    assert "won&#x27;t come back" in html
    assert status_html("") == ""
    assert "&lt;" in status_html("<oops>", "error") and 'data-level="error"' in status_html(
        "x", "error")
    assert 'data-ok="false"' in health_html(False, "endpoint", "refused <b>")


def test_a_card_that_starts_a_part_of_a_plan_shows_its_heading():
    cards = [{"item_id": 1, "title": "Up", "group": "A cartoon for <your> nephew"},
             {"item_id": 2, "title": "Cars", "group": "A cartoon for <your> nephew"},
             {"item_id": 3, "title": "Jarhead", "group": "A war drama for your dad"}]
    assert [group_heading(cards, i) for i in range(3)] == [
        "A cartoon for <your> nephew", "", "A war drama for your dad"]
    first = card_html(cards[0], 1, heading=group_heading(cards, 0))
    assert '<div class="rec-group">A cartoon for &lt;your&gt; nephew</div>' in first
    assert 'data-group="A cartoon for &lt;your&gt; nephew"' in first
    assert "rec-group" not in card_html(cards[1], 2, heading=group_heading(cards, 1))
    plain = [{"item_id": 4, "title": "Heat"}, {"item_id": 5, "title": "Ronin", "group": ""}]
    assert [group_heading(plain, i) for i in range(2)] == ["", ""]
    assert "rec-group" not in card_html(plain[0], 1)


def test_the_trace_shows_a_plan_s_sub_goals():
    goals = {"event": "goals", "goals": [
        {"goal": 0, "text": "a cartoon for my nephew", "heading": "A cartoon", "slots": 3},
        {"goal": 1, "text": "a war drama for my dad", "heading": "A war drama", "slots": 3}],
        "shape": {"budget_minutes": 300, "said": ["fits in five hours"]}, "swap": [1],
        "redo": []}
    assert event_line(goals) == ("goals: a cartoon for my nephew (3); a war drama for my dad "
                                 "(3) [within 300 min], refill cards 2")
    goal = {"event": "goal", "goal": 1, "heading": "A war drama", "plan": "filter_items",
            "found": 1343}
    assert event_line(goal) == "[A war drama] plan: filter_items found 1,343"
    assert event_line({"event": "node", "node": "goals", "status": "start"}) is None
    trace = ["goals (rules): ...", "[A cartoon] filter: 1 -> 2", "[A war drama] filter: 3 -> 4",
             "compose: 6 slots"]
    assert final_trace("policy: rules", trace, [("A war drama", "WAR"), ("Gone", "GONE")]) == [
        "policy: rules", "goals (rules): ...", "[A cartoon] filter: 1 -> 2", "WAR",
        "[A war drama] filter: 3 -> 4", "compose: 6 slots", "GONE"]


def test_profile_panel_for_anonymous_and_empty_profiles():
    assert "Anonymous" in profile_html(None, [])
    assert "too little history" in profile_html("ml:5", [], "ml:5 has too little history")


def test_backend_choice_validation():
    with pytest.raises(ConvrecError, match="must start with http"):
        BackendChoice(kind="openai", base_url="localhost:8000").validated()
    choice = BackendChoice.model_validate({"kind": "openai", "base_url": " http://h:1/v1/ ",
                                           "model": " ", "api_key": "  "}).validated()
    assert choice.base_url == "http://h:1/v1" and choice.model is None and choice.api_key is None
    assert BackendChoice(kind="none").label().startswith("Templates only")
    assert BackendChoice(kind="openai", api_key="a").key() != BackendChoice(
        kind="openai", api_key="b").key()


def test_ui_auth_setting_is_checked():
    assert Settings(ui_auth="me:pw").ui_credentials() == ("me", "pw")
    assert Settings().ui_credentials() is None
    with pytest.raises(ConfigError, match="user:password"):
        Settings(ui_auth="nocolon").ui_credentials()


def test_building_the_app_loads_nothing_heavy(isolated_env):
    """Importing the app and building the page open no catalog, index or model; the page has
    a card slot for each film of the longest plan."""
    code = ("import json, sys; from convrec.ui.app import ChatApp; app = ChatApp(); "
            "app.build(); print(json.dumps([app._pool is None, len(app.card_cols), "
            "sorted(m for m in ('torch', 'chromadb', 'transformers', 'bm25s') "
            "if m in sys.modules)]))")
    assert run_fresh(code, timeout=120) == [True, MAX_PLAN_FILMS, []]


def test_resolve_user(real_catalog):
    from convrec.ui.users import resolve_user

    assert resolve_user("anonymous", real_catalog) is None
    assert resolve_user("", real_catalog) is None
    assert resolve_user("ml:0608", real_catalog) == "ml:608"
    assert resolve_user("ml:608 · MovieLens rater, 831 ratings", real_catalog) == "ml:608"
    with pytest.raises(ConvrecError, match="numbers"):
        resolve_user("ml:abc", real_catalog)
    with pytest.raises(ConvrecError, match="unknown user"):
        resolve_user("critic:Nobody At All", real_catalog)
