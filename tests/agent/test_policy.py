"""The dialogue policy: a compact input, a small discrete output."""

from __future__ import annotations

import json

from convrec.agent.policy import (
    ACTS,
    LlmPolicy,
    PolicyInput,
    RulePolicy,
    allowed_acts,
    make_policy,
)


def state(**kw) -> PolicyInput:
    base = {"turn": 1, "user_act": "inform", "candidates": 500}
    return PolicyInput(**{**base, **kw})


def test_rules():
    rules = RulePolicy()
    assert rules.decide(state(user_act="question")).act == "answer"
    assert rules.decide(state(user_act="empty")).act == "chitchat"
    assert rules.decide(state(user_act="greeting", candidates=13000)).act == "chitchat"
    assert rules.decide(state(candidates=0, hard_constraints=3)).act == "ask_relax"
    # nothing known yet: ask, once per slot, then recommend
    assert rules.decide(state(candidates=13000)).act == "ask_genre"
    assert rules.decide(state(candidates=13000, asked=["ask_genre"])).act == "ask_mood"
    assert rules.decide(state(candidates=13000, asked=["ask_genre", "ask_mood"])).act == (
        "recommend")
    # three constraints: recommend at once
    assert rules.decide(state(hard_constraints=3, slots=["genre", "era", "people"])).act == (
        "recommend")
    # a thin request over many films: one question
    assert rules.decide(state(hard_constraints=1, slots=["genre"], candidates=3000)).act == (
        "ask_mood")
    # a film the user loved is enough
    assert rules.decide(state(liked_films=1, candidates=13000)).act == "recommend"
    # a known user gets recommendations straight away
    assert rules.decide(state(known_user=True, candidates=13000)).act == "recommend"
    assert rules.decide(state(user_act="more", shown=5)).act == "recommend"


def test_input_is_compact_and_serialisable():
    s = state(slots=["genre"], asked=["ask_mood"])
    text = s.prompt()
    assert len(text) < 600 and "\n" not in text
    assert PolicyInput.model_validate(json.loads(text)) == s


def test_allowed_acts():
    assert allowed_acts(state(user_act="question")) == ["answer"]
    assert allowed_acts(state(candidates=0)) == ["ask_relax"]
    acts = allowed_acts(state(slots=["genre"], asked=["ask_mood"]))
    assert acts[0] == "recommend" and "ask_genre" not in acts and "ask_mood" not in acts
    assert set(acts) <= set(ACTS)


class _Scorer:
    supports_scoring = True

    def __init__(self, prefer: str | None = None, fail: bool = False) -> None:
        self.prefer, self.fail, self.calls = prefer, fail, 0

    def score_options(self, messages, options):
        self.calls += 1
        if self.fail:
            raise RuntimeError("backend down")
        return [1.0 if o == self.prefer else 0.0 for o in options]


def test_llm_policy_chooses_among_allowed_acts_and_falls_back():
    chosen = LlmPolicy(_Scorer(prefer="ask_era")).decide(state(candidates=5000))
    assert chosen.act == "ask_era" and chosen.source == "llm"
    assert set(chosen.scores) == set(allowed_acts(state(candidates=5000)))
    # one allowed act: no model call
    scorer = _Scorer()
    assert LlmPolicy(scorer).decide(state(user_act="question")).act == "answer"
    assert scorer.calls == 0
    fallback = LlmPolicy(_Scorer(fail=True)).decide(state(hard_constraints=3))
    assert fallback.source == "fallback" and fallback.act == "recommend"


def test_make_policy():
    assert make_policy("rules").name == "rules"
    assert make_policy("llm", _Scorer()).name == "llm"
    assert make_policy("llm", None).name == "rules"
