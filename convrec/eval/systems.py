"""The systems a simulation runs side by side, behind one small interface.

- `agent:<backend>`: convrec's agent (LangGraph, the rules policy or the setting's), on the
  embedded LLM (`agent:local`), an OpenAI-compatible endpoint (`agent:openai`), vLLM
  (`agent:vllm`) or templates only (`agent:none`), as the scenario's dataset user.
- `floor`: the history-only floor: the agent's recommendation pipeline given the user's
  history (profile memory and CF) and nothing from the conversation. The gain of the agent
  over it is what conversing adds. A user with no history (ReDial) gets the popularity list.
- `popularity`: the most-rated films (the CF popularity model).
- `bm25`, `dense`: one-shot retrieval on the user's first message.
- `cf`: collaborative filtering on the user's history alone (popularity when there is none).

The one-shot systems rank once, at the first message, and then show the next `k` films of
that ranking each turn (films shown before and films in the user's dataset history are left
out, as the agent leaves them out), whatever the user says: they stand for a recommender
that does not listen. Every system answers with an act, films and a reply.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from convrec.config import Settings
from convrec.errors import ConvrecError
from convrec.eval.records import Scenario
from convrec.tools.context import Resources, ToolContext

BASELINES = ("popularity", "bm25", "dense", "cf", "floor")
AGENT_BACKENDS = ("local", "openai", "vllm", "none")
DEPTH = 200  # how deep a one-shot system ranks (enough for max_turns * k)


@dataclass
class SystemTurn:
    act: str
    item_ids: list[int]
    reply: str = ""
    trace: list[str] = field(default_factory=list)


class System(Protocol):
    name: str

    def start(self, scenario: Scenario) -> None: ...

    def respond(self, text: str) -> SystemTurn: ...


def check_system_name(name: str) -> str:
    kind, _, backend = name.partition(":")
    if kind == "agent" and backend in AGENT_BACKENDS:
        return name
    if name in BASELINES:
        return name
    choices = ", ".join([*(f"agent:{b}" for b in AGENT_BACKENDS), *BASELINES])
    raise ConvrecError(f"unknown system {name!r}: choose from {choices}")


# ----------------------------------------------------------------------------- the agent


class AgentSystem:
    """The agent in a fresh thread per dialogue, as the scenario's user."""

    def __init__(self, name: str, settings: Settings, resources: Resources, *,
                 policy: Any = None) -> None:
        # deferred: convrec.agent.service pulls in sklearn, langgraph, pandas, ...
        from convrec.agent.service import Agent

        backend = name.partition(":")[2]
        self.name = name
        self._tmp = tempfile.TemporaryDirectory(prefix="convrec-sim-")
        update: dict[str, Any] = {"sessions_path": Path(self._tmp.name) / "sessions.sqlite",
                                  "feedback_path": Path(self._tmp.name) / "feedback.sqlite"}
        if backend != "none":
            update["llm_backend"] = backend
        self.agent = Agent(settings.model_copy(update=update), resources=resources,
                           use_llm=backend != "none", policy=policy)
        self.thread = ""
        self.user_id: str | None = None

    def warm_up(self) -> None:
        self.agent.warm_up()

    def start(self, scenario: Scenario) -> None:
        self.thread = f"sim-{uuid.uuid4().hex[:12]}"
        self.user_id = scenario.user_id

    def respond(self, text: str) -> SystemTurn:
        result = self.agent.turn(text, thread_id=self.thread, user_id=self.user_id)
        return SystemTurn(result.act, list(result.item_ids), result.reply, list(result.trace))

    def close(self) -> None:
        self.agent.close()
        self._tmp.cleanup()


# ----------------------------------------------------------------------------- one-shot


Ranker = Callable[[Scenario, str, ToolContext], tuple[list[int], list[str]]]


class OneShotSystem:
    """Ranks once at the first message, then pages through the ranking (module docstring)."""

    def __init__(self, name: str, resources: Resources, ranker: Ranker, k: int = 5) -> None:
        self.name = name
        self.resources = resources
        self.ranker = ranker
        self.k = k
        self._ranking: list[int] = []
        self._shown: set[int] = set()
        self._scenario: Scenario | None = None
        self._trace: list[str] = []

    def start(self, scenario: Scenario) -> None:
        self._scenario = scenario
        self._ranking = []
        self._shown = set()

    def respond(self, text: str) -> SystemTurn:
        from convrec.tools.pipeline import history_ids  # deferred: pulls in numpy

        assert self._scenario is not None, "start() a dialogue first"
        ctx = ToolContext(self.resources, self._scenario.user_id)
        if not self._ranking:
            ranking, self._trace = self.ranker(self._scenario, text, ctx)
            history = history_ids(ctx)
            self._ranking = [i for i in dict.fromkeys(ranking) if i not in history]
        page = [i for i in self._ranking if i not in self._shown][: self.k]
        self._shown.update(page)
        return SystemTurn("recommend", page, "", list(self._trace))


def _popularity(_: Scenario, __: str, ctx: ToolContext) -> tuple[list[int], list[str]]:
    """CF's popularity order (rank_cf with no history), the same for everyone: computed once
    per process, deep enough for a user whose history takes out many of the top films."""
    from convrec.tools.cf import CfArgs, rank_cf  # deferred: convrec.tools.cf pulls in numpy, scipy

    def order() -> list[int]:
        anonymous = ToolContext(ctx.resources)
        return [s.item_id for s in rank_cf(CfArgs(k=DEPTH * 5), anonymous).items]

    return ctx.resources.get("eval:popularity-order", order), ["popularity: most-rated films"]


def _bm25(_: Scenario, text: str, ctx: ToolContext) -> tuple[list[int], list[str]]:
    from convrec.tools.bm25 import Bm25Args, search_bm25  # deferred: pulls in numpy, scipy

    out = search_bm25(Bm25Args(query=text[:1000], k=DEPTH), ctx)
    return [s.item_id for s in out.items], [out.trace]


def _dense(_: Scenario, text: str, ctx: ToolContext) -> tuple[list[int], list[str]]:
    from convrec.tools.dense import DenseArgs, search_dense  # deferred: pulls in numpy

    out = search_dense(DenseArgs(query=text[:1000], k=DEPTH), ctx)
    return [s.item_id for s in out.items], [out.trace]


def _cf(scenario: Scenario, text: str, ctx: ToolContext) -> tuple[list[int], list[str]]:
    from convrec.tools.cf import CfArgs, rank_cf  # deferred: convrec.tools.cf pulls in numpy, scipy

    out = rank_cf(CfArgs(k=DEPTH), ctx)
    return [s.item_id for s in out.items], [out.trace, *out.notes]


def _floor(scenario: Scenario, text: str, ctx: ToolContext) -> tuple[list[int], list[str]]:
    """The agent's pipeline on the user's history alone: profile memory and CF, no query."""
    from convrec.tools.pipeline import RecommendRequest, recommend  # deferred: pulls in numpy

    if scenario.user_id is None:
        ids, _ = _popularity(scenario, text, ctx)
        return ids, ["no history: popularity"]
    result = recommend(RecommendRequest(k=50, pool=DEPTH), ctx)
    return [s.item_id for s in result.items], result.trace


RANKERS: dict[str, Ranker] = {"popularity": _popularity, "bm25": _bm25, "dense": _dense,
                              "cf": _cf, "floor": _floor}


def make_system(name: str, settings: Settings, resources: Resources, *, k: int = 5) -> Any:
    """A system by name (see `check_system_name`)."""
    check_system_name(name)
    if name.startswith("agent:"):
        return AgentSystem(name, settings.model_copy(update={"agent_k": k}), resources)
    return OneShotSystem(name, resources, RANKERS[name], k=k)
