"""The planner: enumerated options, scoring, structured plans, repair."""

from __future__ import annotations

from convrec.agent.ledger import Ledger, LedgerUpdate
from convrec.agent.ledger_apply import apply_update
from convrec.agent.plan import choose_plan, plan_options
from convrec.agent.plan_model import PlanChoice, PlannedStep, applicable, default_plan, repair


def ledger(**kw) -> Ledger:
    return apply_update(Ledger(), LedgerUpdate(**kw), 1)


def test_default_plan_takes_arguments_from_the_ledger():
    led = ledger(genres_include=["Comedy"], wishes=["heist"], liked_ids=[6])
    plan = default_plan(led, "ml:1")
    assert plan.tools() == ["filter_items", "search_bm25", "search_dense", "user_profile",
                            "rank_cf"]
    assert plan.calls[0].args["genres_any"] == ["Comedy"]
    assert plan.calls[2].args == {"query": "heist", "like_ids": [6]}
    assert default_plan(Ledger(), None).tools() == []
    assert applicable(ledger(liked_ids=[6]), None) == ["search_dense", "rank_cf"]


def test_options_start_with_the_default_and_are_bounded():
    led = ledger(wishes=["heist"], liked_ids=[6])
    options = plan_options(led, "ml:1")
    assert options[0] == applicable(led, "ml:1")
    assert 1 < len(options) <= 8
    assert all(o for o in options)


class _Llm:
    def __init__(self, *, scores=None, choice=None, fail=False, capable=False):
        self.supports_scoring = scores is not None
        self.capable = capable
        self.scores, self.choice, self.fail = scores, choice, fail

    def score_options(self, messages, options):
        if self.fail:
            raise RuntimeError("down")
        return [self.scores(o) for o in options]

    def structured(self, messages, schema, max_tokens=512):
        if self.fail:
            raise RuntimeError("down")
        return self.choice


def test_scored_plan_picks_the_best_option():
    led = ledger(wishes=["heist"], genres_include=["Crime"])
    llm = _Llm(scores=lambda text: 1.0 if text == "filter_items -> search_dense" else 0.0)
    plan = choose_plan(led, None, llm)
    assert plan.source == "llm" and plan.tools() == ["filter_items", "search_dense"]


def test_failures_give_the_default_plan():
    led = ledger(wishes=["heist"])
    plan = choose_plan(led, None, _Llm(scores=lambda t: 0.0, fail=True))
    assert plan.source == "default" and plan.tools() == default_plan(led, None).tools()
    assert any("default plan" in n for n in plan.notes)
    assert choose_plan(led, None, None).source == "default"


def test_structured_plan_is_repaired():
    led = ledger(wishes=["time travel"], genres_include=["Comedy"])
    choice = PlanChoice(steps=[PlannedStep(tool="user_profile"),  # no user: not applicable
                               PlannedStep(tool="search_dense", query="funny time travel")])
    plan = choose_plan(led, None, _Llm(choice=choice, capable=True))
    assert plan.source == "repaired"
    assert plan.tools() == ["filter_items", "search_dense"]  # the filter always comes back
    assert plan.calls[1].args["query"] == "funny time travel"
    # nothing applicable: the default plan
    empty = repair(PlanChoice(steps=[PlannedStep(tool="rank_cf")]), led, None,
                   default_plan(led, None))
    assert empty.source == "default"
