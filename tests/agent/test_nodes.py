"""Each node on its own: state in, the keys it changes out."""

from __future__ import annotations

import pytest
from langgraph.runtime import Runtime

from convrec.agent.graph import route_after_act, route_after_plan, route_after_policy
from convrec.agent.ledger import Ledger
from convrec.agent.nodes.act import act
from convrec.agent.nodes.plan import plan
from convrec.agent.nodes.policy import policy
from convrec.agent.nodes.respond import respond
from convrec.agent.nodes.understand import understand
from convrec.agent.state import AgentContext

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def runtime(real_resources):
    return Runtime(context=AgentContext(resources=real_resources))


def run(state, runtime, *nodes):
    for node in nodes:
        state = {**state, **node(state, runtime)}
    return state


def test_understand_updates_the_ledger_and_counts_candidates(runtime):
    out = understand({"message": "a western from the 60s"}, runtime)
    ledger = Ledger.model_validate(out["ledger"])
    assert ledger.genres_include == {"Western": 1} and out["turn"] == 1
    assert 0 < out["understood"]["candidates"] < 500
    assert out["understood"]["user_act"] == "request" and "understand" in out["timings_ms"]
    assert out["items"] == [] and out["plan"] is None  # last turn's results are cleared


def test_policy_node_records_its_input_and_the_question_asked(runtime):
    state = run({"message": "hello"}, runtime, understand, policy)
    assert state["decision"]["act"] == "chitchat"
    assert state["policy_input"]["user_act"] == "greeting"
    state = run({"message": "a comedy"}, runtime, understand, policy)
    assert state["decision"]["act"] == "ask_mood" and state["asked"] == ["ask_mood"]
    assert route_after_policy(state) == "respond"


def test_plan_and_act_nodes(runtime):
    state = run({"message": "a heist film from the 90s"}, runtime, understand, policy)
    assert route_after_policy(state) == "plan"
    state = run(state, runtime, plan)
    assert state["plan"]["source"] == "default"
    assert [c["tool"] for c in state["plan"]["calls"]][:1] == ["filter_items"]
    assert route_after_plan(state) == "act"
    state = run(state, runtime, act)
    assert len(state["items"]) == 5 and any(t.startswith("filter:") for t in state["trace"])
    assert route_after_act(state) == "respond"


def test_act_with_no_results_replans_once_when_the_llm_chose(runtime):
    state = {"items": [], "decision": {"act": "recommend"}, "plan": {"source": "llm"},
             "replans": 0, "remaining_steps": 20}
    assert route_after_act(state) == "replan"
    assert route_after_act({**state, "replans": 1}) == "respond"
    assert route_after_act({**state, "plan": {"source": "default"}}) == "respond"


def test_respond_node_writes_cards_and_remembers_what_was_shown(runtime):
    state = run({"message": "a heist film from the 90s"}, runtime, understand, policy, plan,
                act, respond)
    cards = state["cards"]
    assert len(cards) == 5 and all(c["reason"] and c["title"] for c in cards)
    ledger = Ledger.model_validate(state["ledger"])
    assert ledger.last_shown == [c["item_id"] for c in cards]
    assert set(ledger.shown) == set(ledger.last_shown)
    for card in cards:
        assert f"**{card['title']}**" in state["reply"]
    assert state["history"][-1]["role"] == "assistant"
