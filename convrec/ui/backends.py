"""Which LLM answers a browser session, and one shared agent per choice.

Every agent shares the catalog and indexes, the session store (checkpoints) and the
feedback log: only the LLM differs. A session picks its backend in the settings panel;
the choice lives in that session's state, so one visitor's endpoint never answers
another's chat. An endpoint's health is checked when it is chosen and again before a
turn once the last check is older than HEALTH_TTL_S; while it is down the turn is
answered from templates and the page says so.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, SecretStr

from convrec.agent.feedback_log import open_feedback_log
from convrec.agent.sessions_db import open_checkpointer
from convrec.config import Settings
from convrec.errors import ConvrecError
from convrec.tools.context import Resources

SETTINGS_POLICY = "settings"
"""`AgentPool.agent`'s default policy: the one the settings name (rules when none)."""

BackendKind = Literal["local", "openai", "vllm", "none"]
HEALTH_TTL_S = 30.0

KIND_LABELS: dict[str, str] = {
    "local": "Embedded (SmolLM2-135M, offline)",
    "openai": "OpenAI-compatible endpoint",
    "vllm": "vLLM in this process (GPU)",
    "none": "Templates only (no LLM)",
}


class BackendChoice(BaseModel):
    kind: BackendKind = "local"
    base_url: str | None = None
    model: str | None = None
    api_key: SecretStr | None = None

    def key(self) -> tuple[Any, ...]:
        secret = self.api_key.get_secret_value() if self.api_key else None
        return (self.kind, self.base_url, self.model, hash(secret))

    def label(self) -> str:
        if self.kind == "openai":
            return f"{self.model or 'default model'} at {self.base_url}"
        return KIND_LABELS[self.kind]

    @classmethod
    def from_settings(cls, settings: Settings) -> BackendChoice:
        return cls(kind=settings.llm_backend, base_url=settings.llm_base_url,
                   model=settings.llm_model, api_key=settings.llm_api_key)

    def validated(self) -> BackendChoice:
        """The choice with its fields cleaned; a one-line ConvrecError when unusable."""
        if self.kind != "openai":
            return self
        url = (self.base_url or "").strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ConvrecError("the endpoint's base URL must start with http:// or https://, "
                               "e.g. http://127.0.0.1:8000/v1")
        model = (self.model or "").strip() or None
        key = self.api_key if self.api_key and self.api_key.get_secret_value().strip() else None
        return self.model_copy(update={"base_url": url, "model": model, "api_key": key})


class Health(BaseModel):
    ok: bool
    detail: str
    checked_at: float = 0.0


class AgentPool:
    """The agents of a server, one per backend choice, sharing everything else."""

    def __init__(self, settings: Settings, *, resources: Any | None = None,
                 checkpointer: Any | None = None, feedback_log: Any | None = None) -> None:
        self.settings = settings
        self.resources = resources or Resources.from_settings(settings)
        self.checkpointer = checkpointer or open_checkpointer(settings)
        self.feedback_log = feedback_log or open_feedback_log(settings)
        self._agents: dict[tuple[Any, ...], Any] = {}
        self._health: dict[tuple[Any, ...], Health] = {}
        self._lock = threading.Lock()

    def agent(self, choice: BackendChoice, policy: Path | str | None = SETTINGS_POLICY) -> Any:
        """The agent answering with `choice` and the dialogue `policy` (a checkpoint folder;
        None: the hand-written rules; by default the settings' policy), made on first use."""
        from convrec.agent.service import Agent  # deferred: the graph (langgraph, sklearn)

        if policy == SETTINGS_POLICY:
            policy = self.settings.agent_policy_path
        key = (*choice.key(), str(policy) if policy else None)
        with self._lock:
            found = self._agents.get(key)
            if found is None:
                updates: dict[str, Any] = {"agent_policy_path": policy}
                if choice.kind != "none":
                    updates["llm_backend"] = choice.kind
                if choice.kind == "openai":
                    updates.update(llm_base_url=choice.base_url, llm_model=choice.model,
                                   llm_api_key=choice.api_key)
                settings = self.settings.model_copy(update=updates)
                found = Agent(settings, resources=self.resources, use_llm=choice.kind != "none",
                              checkpointer=self.checkpointer, feedback_log=self.feedback_log)
                self._agents[key] = found
        return found

    def templates(self, policy: Path | str | None = SETTINGS_POLICY) -> Any:
        """The agent without an LLM: what answers while an endpoint is down."""
        return self.agent(BackendChoice(kind="none"), policy)

    def any_agent(self) -> Any:
        """An agent for reading sessions (every agent shares the same store)."""
        return self.templates()

    def health(self, choice: BackendChoice, *, fresh: bool = False) -> Health:
        """Is the choice's LLM answering? Cached for HEALTH_TTL_S unless `fresh`."""
        key = choice.key()
        cached = self._health.get(key)
        if cached and not fresh and time.monotonic() - cached.checked_at < HEALTH_TTL_S:
            return cached
        if choice.kind == "none":
            health = Health(ok=True, detail="templates only: no LLM is used")
        else:
            try:
                llm = self.agent(choice).llm
                found = llm.health()
                health = Health(ok=found.ok, detail=found.detail)
            except Exception as exc:  # a backend that cannot even be created
                health = Health(ok=False, detail=" ".join(str(exc).split())[:300])
        health.checked_at = time.monotonic()
        self._health[key] = health
        return health

    def warm_up(self, choice: BackendChoice, policy: Path | str | None = SETTINGS_POLICY) -> None:
        """Load the indexes and the choice's model before the first visitor arrives."""
        self.agent(choice, policy).warm_up()
