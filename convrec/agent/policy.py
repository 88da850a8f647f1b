"""The dialogue policy: ask (which slot), recommend, answer, relax, or small talk.

The decision is its own small problem so that RL can train it: `PolicyInput` is a
compact, serialisable summary of the dialogue state (no catalog, no graph), the
output is one of `ACTS`, and `PolicyInput.prompt()` is the text a language-model
policy reads, so a reward model and GRPO can score and sample decisions from
logged inputs without running the graph.

`RulePolicy` is the default: hand-written rules that ask at most once when
the request is thin and the candidate set is large, and otherwise recommend.
`LlmPolicy` scores every act with a language model (the same prompt a GRPO-trained
policy is trained on) and falls back to the rules on any error.
"""

from __future__ import annotations

import json
import logging
from typing import Literal, Protocol, get_args

from pydantic import BaseModel, Field

from convrec.agent.extract import UserAct

log = logging.getLogger(__name__)

Act = Literal[
    "recommend", "ask_genre", "ask_era", "ask_mood", "ask_liked_film", "ask_relax", "answer",
    "chitchat",
]
ACTS: tuple[Act, ...] = get_args(Act)
ASK_ACTS: tuple[Act, ...] = ("ask_genre", "ask_era", "ask_mood", "ask_liked_film")

THIN_CANDIDATES = 1_000  # above this many films a thin request is worth one question


class PolicyInput(BaseModel):
    """Everything the policy sees, in a few numbers and names."""

    turn: int = Field(description="1 for the first user turn")
    user_act: UserAct
    question_resolved: bool = Field(
        default=False, description="a factual question names a known film"
    )
    hard_constraints: int = Field(
        default=0, description="genres, era, runtime, people ... in the ledger"
    )
    slots: list[str] = Field(default_factory=list, description="which slots are filled")
    has_wish: bool = False
    liked_films: int = 0
    known_user: bool = Field(default=False, description="a dataset user with history (CF, profile)")
    candidates: int = Field(description="films meeting the hard constraints, exclusions removed")
    candidate_genres: int = Field(default=0, description="distinct genres among the candidates")
    candidate_decades: int = Field(default=0, description="distinct decades among the candidates")
    asked: list[str] = Field(default_factory=list, description="acts of the questions asked so far")
    shown: int = Field(default=0, description="films recommended so far")
    unresolved_titles: int = 0

    def prompt(self) -> str:
        """The state as a line of JSON: what a language-model policy reads."""
        return json.dumps(self.model_dump(), separators=(",", ":"))


class PolicyDecision(BaseModel):
    act: Act
    source: str = Field(description="rules | llm | fallback")
    scores: dict[str, float] = Field(default_factory=dict)


class Policy(Protocol):
    name: str

    def decide(self, state: PolicyInput) -> PolicyDecision: ...


def allowed_acts(state: PolicyInput) -> list[Act]:
    """Acts that make sense at all in this state (what a learned policy chooses among)."""
    if state.user_act == "question":
        return ["answer"]
    if state.candidates == 0:
        return ["ask_relax"]
    acts: list[Act] = ["recommend"]
    filled = set(state.slots)
    if "genre" not in filled and "ask_genre" not in state.asked:
        acts.append("ask_genre")
    if "era" not in filled and "ask_era" not in state.asked:
        acts.append("ask_era")
    if not state.has_wish and "ask_mood" not in state.asked:
        acts.append("ask_mood")
    if not state.liked_films and "ask_liked_film" not in state.asked:
        acts.append("ask_liked_film")
    if state.user_act in ("greeting", "thanks", "bye", "accept", "empty", "unclear"):
        acts.append("chitchat")
    return acts


class RulePolicy:
    name = "rules"

    def decide(self, state: PolicyInput) -> PolicyDecision:
        return PolicyDecision(act=self._act(state), source="rules")

    @staticmethod
    def _act(s: PolicyInput) -> Act:
        if s.user_act == "question":
            return "answer"
        if s.user_act == "empty":
            return "chitchat"
        if s.candidates == 0:
            return "ask_relax"
        informed = s.hard_constraints + s.has_wish + s.liked_films
        if s.user_act in ("greeting", "thanks", "bye", "accept", "empty"):
            return "chitchat"
        if s.user_act == "unclear" and not s.shown and not informed:
            return "chitchat" if s.turn > 1 or s.unresolved_titles else "ask_genre"
        if s.user_act in ("more", "reject"):
            return "recommend"
        if informed == 0 and not s.known_user:
            first_asks: tuple[Act, ...] = ("ask_genre", "ask_mood")
            for act in first_asks:
                if act not in s.asked:
                    return act
            return "recommend"
        # a film the user loved says more than a genre: it alone is enough to recommend
        thin = (informed + s.liked_films <= 1 and not s.known_user
                and s.candidates > THIN_CANDIDATES)
        if thin and not s.asked and not s.shown and s.turn <= 2:
            if not s.has_wish:
                return "ask_mood"
            return "ask_era" if "era" not in s.slots else "ask_genre"
        return "recommend"


class LlmPolicy:
    """Scores each allowed act as the model's reply to the state prompt; rules on failure."""

    name = "llm"
    SYSTEM = (
        "You are the dialogue policy of a film recommender. Given the dialogue state as JSON, "
        "answer with the single best next act: recommend, ask_genre, ask_era, ask_mood, "
        "ask_liked_film, ask_relax, answer or chitchat."
    )

    def __init__(self, llm: object, fallback: Policy | None = None) -> None:
        self.llm = llm
        self.fallback = fallback or RulePolicy()

    def decide(self, state: PolicyInput) -> PolicyDecision:
        acts = allowed_acts(state)
        if len(acts) == 1:
            return PolicyDecision(act=acts[0], source="rules")
        messages = [{"role": "system", "content": self.SYSTEM},
                    {"role": "user", "content": state.prompt()}]
        try:
            scores = self.llm.score_options(messages, list(acts))  # type: ignore[attr-defined]
        except Exception as exc:  # a policy must never break the turn
            log.warning("LLM policy failed (%s); using the rules", exc)
            decision = self.fallback.decide(state)
            return PolicyDecision(act=decision.act, source="fallback")
        best = max(range(len(acts)), key=lambda i: scores[i])
        scored: dict[str, float] = {
            a: round(float(s), 4) for a, s in zip(acts, scores, strict=True)
        }
        return PolicyDecision(act=acts[best], source="llm", scores=scored)


def make_policy(name: str, llm: object | None = None) -> Policy:
    if name == "llm" and llm is not None:
        return LlmPolicy(llm)
    return RulePolicy()
