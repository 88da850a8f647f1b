"""LangSmith tracing of the LLM calls that go through LangChain (the `openai` backend's
`ChatOpenAI`, `llm.chat_model` on every backend, the LangGraph agent).

On by LangSmith's standard environment variables, off by default: ``LANGSMITH_TRACING=true``
(or the older ``LANGCHAIN_TRACING_V2=true``) with ``LANGSMITH_API_KEY``, and optionally
``LANGSMITH_PROJECT`` and ``LANGSMITH_ENDPOINT``. Without them nothing is recorded or sent and
LangSmith is never contacted. LangChain reads the variables itself on every run; this module
only says whether tracing is on (the way langsmith decides it) and flushes the runs still
queued, so a short-lived command does not exit before they are posted.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

# What langsmith reads, in its order: the first one set (not blank) decides, and only the
# exact value "true" turns tracing on.
TRACING_VARIABLES = (
    "LANGSMITH_TRACING_V2",
    "LANGCHAIN_TRACING_V2",
    "LANGSMITH_TRACING",
    "LANGCHAIN_TRACING",
)


def tracing_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """Whether LangSmith tracing is on in `environ` (default: this process's environment)."""
    env = os.environ if environ is None else environ
    for name in TRACING_VARIABLES:
        value = env.get(name)
        if value is not None and value.strip():
            return value == "true"
    return False


def tracing_project(environ: Mapping[str, str] | None = None) -> str | None:
    """The LangSmith project runs go to while tracing is on (None: tracing is off)."""
    env = os.environ if environ is None else environ
    if not tracing_enabled(env):
        return None
    return env.get("LANGSMITH_PROJECT") or env.get("LANGCHAIN_PROJECT") or "default"


def flush_traces() -> None:
    """Post the runs still queued (nothing to do, and no network, when tracing is off)."""
    if not tracing_enabled():
        return
    from langchain_core.tracers.langchain import wait_for_all_tracers  # deferred: ~1 s to import

    wait_for_all_tracers()
