"""The dialogue policy: ask (which slot), recommend, answer, relax, or small talk.

The decision is its own small problem so that RL can train it: `PolicyInput` is a
compact, serialisable summary of the dialogue state (no catalog, no graph), the
output is one of `ACTS`, and `PolicyInput.prompt()` is the text a language-model
policy reads, so a reward model and GRPO can score and sample decisions from
logged inputs without running the graph.

`RulePolicy` is the default: hand-written rules that ask at most once when
the request is thin and the candidate set is large, and otherwise recommend.
`LlmPolicy` scores every act with a language model (the same prompt a GRPO-trained
policy is trained on, `policy_messages`) and falls back to the rules on any error.
`load_trained_policy` is that policy on a checkpoint written by `convrec rl grpo`.

A trained policy also chooses the plan of a recommendation: its choices (`choices`) are the
allowed acts with `recommend` spread over the ranker sets that apply, `recommend` (every
applicable ranker, the planner's default) and `recommend:bm25+dense`, `recommend:cf` ...
(`PolicyDecision.plan` carries that set to the plan node).
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
from pathlib import Path
from typing import Literal, Protocol, get_args

from pydantic import BaseModel, Field

from convrec.agent.understanding import UserAct
from convrec.errors import ConfigError
from convrec.llm.local import LocalLlm
from convrec.llm.types import LlmUnavailable
from convrec.prompts import POLICY_PROMPT_VERSION, load_prompt, render_prompt

log = logging.getLogger(__name__)

Act = Literal[
    "recommend", "ask_genre", "ask_era", "ask_mood", "ask_liked_film", "ask_relax", "answer",
    "chitchat",
]
ACTS: tuple[Act, ...] = get_args(Act)
ASK_ACTS: tuple[Act, ...] = ("ask_genre", "ask_era", "ask_mood", "ask_liked_film")

THIN_CANDIDATES = 1_000  # above this many films a thin request is worth one question
# The rankers a plan may run, by their short names in a policy's choices.
RANKER_NAMES = {"search_bm25": "bm25", "search_dense": "dense", "user_profile": "profile",
                "rank_cf": "cf"}
MAX_PLAN_CHOICES = 8  # recommend choices offered, the default plan included


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
    rankers: list[str] = Field(
        default_factory=list, description="rankers that apply now (plan tool names)"
    )

    def prompt(self) -> str:
        """The state as a line of JSON: what the zero-shot LLM policy reads."""
        return json.dumps(self.model_dump(), separators=(",", ":"))

    def brief(self) -> str:
        """The state in a few words: what a trained policy reads (short, because on a CPU
        training time grows with every prompt token; prompts/policy_state.txt)."""
        return render_prompt(
            "policy_state", turn=self.turn, user_act=self.user_act,
            known_film=" (known film)" if self.question_resolved else "",
            filters=" ".join(self.slots) or "none", wish=_yes(self.has_wish),
            liked=self.liked_films, known_user=_yes(self.known_user),
            candidates=self.candidates, genres=self.candidate_genres,
            decades=self.candidate_decades,
            asked=" ".join(a.removeprefix("ask_") for a in self.asked) or "none",
            shown=self.shown, unknown=self.unresolved_titles)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


class PolicyDecision(BaseModel):
    act: Act
    source: str = Field(description="rules | llm | fallback | policy:<checkpoint> | forced")
    scores: dict[str, float] = Field(default_factory=dict)
    plan: list[str] | None = Field(
        default=None, description="for recommend: the rankers to run (None: the planner's)"
    )

    def choice(self) -> str:
        """The decision as a policy's choice string: 'ask_era', 'recommend:bm25+cf' ..."""
        if self.act != "recommend" or self.plan is None:
            return self.act
        return "recommend:" + "+".join(RANKER_NAMES[r] for r in self.plan)


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


def plan_choices(rankers: list[str]) -> list[str]:
    """'recommend' (all of `rankers`) and 'recommend:<subset>' for the smaller ranker sets,
    largest first, MAX_PLAN_CHOICES in all."""
    out = ["recommend"]
    for size in range(len(rankers) - 1, 0, -1):
        for subset in itertools.combinations(rankers, size):
            out.append("recommend:" + "+".join(RANKER_NAMES[r] for r in subset))
            if len(out) >= MAX_PLAN_CHOICES:
                return out
    return out


def choices(state: PolicyInput) -> list[str]:
    """What a plan-choosing policy picks among: the allowed acts, recommend spread over
    the ranker sets (see the module docstring)."""
    out: list[str] = []
    for act in allowed_acts(state):
        out += plan_choices(state.rankers) if act == "recommend" else [act]
    return out


def decision_for(choice: str, source: str) -> PolicyDecision:
    """The decision a choice string names (the inverse of `PolicyDecision.choice`)."""
    act, _, plan = choice.partition(":")
    if act not in ACTS or (plan and act != "recommend"):
        raise ValueError(f"not a policy choice: {choice!r}")
    short = {v: k for k, v in RANKER_NAMES.items()}
    rankers = [short[name] for name in plan.split("+")] if plan else None
    return PolicyDecision(act=act, source=source, plan=rankers)


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


def policy_options(state: PolicyInput, *, plans: bool = False) -> list[str]:
    """The replies a language-model policy chooses among in `state`."""
    return choices(state) if plans else list(allowed_acts(state))


def policy_messages(state: PolicyInput, *, plans: bool = False) -> list[dict[str, str]]:
    """The chat a language-model policy reads: the state and the choices allowed in it. A
    trained policy (plans=True) is trained on exactly these messages; its reply is one
    choice."""
    if not plans:  # the zero-shot LLM policy's prompt, as it always was
        return [{"role": "system", "content": load_prompt("policy_system")},
                {"role": "user", "content": state.prompt()}]
    allowed = ", ".join(policy_options(state, plans=True))
    user = render_prompt("policy_plans_user", state=state.brief(), allowed=allowed)
    return [{"role": "system", "content": load_prompt("policy_plans_system")},
            {"role": "user", "content": user}]


def parse_choice(text: str, state: PolicyInput, *, plans: bool = True) -> str | None:
    """The choice a policy's reply names, when it is allowed in `state` (else None)."""
    word = text.strip().split()[0].strip(".,;\"'`") if text.strip() else ""
    return word if word in policy_options(state, plans=plans) else None


class LlmPolicy:
    """Scores each allowed act as the model's reply to the state prompt; rules on failure."""

    name = "llm"

    def __init__(self, llm: object, fallback: Policy | None = None, *,
                 name: str = "llm", plans: bool = False) -> None:
        self.llm = llm
        self.fallback = fallback or RulePolicy()
        self.name = name
        self.plans = plans

    def decide(self, state: PolicyInput) -> PolicyDecision:
        options = policy_options(state, plans=self.plans)
        if len(options) == 1:
            return decision_for(options[0], "rules")
        try:
            messages = policy_messages(state, plans=self.plans)
            scores = self.llm.score_options(messages, options)  # type: ignore[attr-defined]
        except Exception as exc:  # a policy must never break the turn
            log.warning("LLM policy failed (%s); using the rules", exc)
            decision = self.fallback.decide(state)
            return PolicyDecision(act=decision.act, source="fallback")
        best = max(range(len(options)), key=lambda i: scores[i])
        decision = decision_for(options[best], self.name)
        decision.scores = {o: round(float(s), 4) for o, s in zip(options, scores, strict=True)}
        return decision


_trained: dict[Path, LlmPolicy] = {}
_trained_lock = threading.Lock()
POLICY_FILE = "policy.json"  # beside a trained policy's weights: what it is (convrec.rl.card)


def trained_prompt_version(folder: Path) -> int | None:
    """The policy prompt version (`convrec.prompts.POLICY_PROMPT_VERSION`) the checkpoint in
    `folder` was trained on: its policy.json's prompt_version, 1 for a policy.json written
    before versions were recorded (the prompt was version 1 then), None without policy.json
    (not a convrec checkpoint: nothing to check)."""
    path = folder / POLICY_FILE
    if not path.is_file():
        return None
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    version = info.get("prompt_version", 1) if isinstance(info, dict) else None
    if isinstance(version, bool) or not isinstance(version, int):
        raise ConfigError(f"{path} holds no valid prompt_version (got {version!r})")
    return version


def check_prompt_version(folder: Path, shown: object) -> None:
    """ConfigError (one line) when the checkpoint in `folder` was trained on another version
    of the policy prompt than this code writes: it would read prompts it never saw."""
    trained_on = trained_prompt_version(folder)
    if trained_on is not None and trained_on != POLICY_PROMPT_VERSION:
        raise ConfigError(
            f"the policy at {shown} was trained on policy prompt version {trained_on}, but this "
            f"convrec's policy prompt is version {POLICY_PROMPT_VERSION}: retrain it "
            "(convrec rl grpo) or use it with the convrec it was trained with")


def load_trained_policy(path: Path, *, threads: int = 0) -> LlmPolicy:
    """The policy checkpoint at `path` (a causal LM folder written by `convrec rl grpo` or
    `convrec rl warm-start`), loaded once per process. Its decisions are labelled
    `policy:<folder name>` in the trace, so the chat shows which policy answered. A checkpoint
    trained on another version of the policy prompt is refused (`check_prompt_version`)."""
    folder = Path(path).expanduser().resolve()
    if not (folder / "config.json").is_file():
        raise ConfigError(f"no policy checkpoint at {path} (a folder written by convrec rl grpo "
                          "holds config.json and the weights)")
    with _trained_lock:
        if folder not in _trained:
            check_prompt_version(folder, path)
            try:
                llm = LocalLlm(folder, label=folder.name, dtype="float32", threads=threads)
            except LlmUnavailable as exc:
                raise ConfigError(f"cannot load the policy at {path}: {exc}") from None
            _trained[folder] = LlmPolicy(llm, name=f"policy:{folder.name}", plans=True)
        return _trained[folder]


def make_policy(name: str, llm: object | None = None, *, path: Path | None = None) -> Policy:
    """The policy the settings choose: a trained checkpoint when `path` is given, else the
    LLM scoring acts (`name == "llm"` with an LLM), else the rules."""
    if path is not None:
        return load_trained_policy(path)
    if name == "llm" and llm is not None:
        return LlmPolicy(llm)
    return RulePolicy()
