"""The graph for LangGraph Studio / LangGraph Server (see langgraph.json).

The server provides persistence and the thread ids; resources come from the
settings (CONVREC_HOME etc.), the LLM from CONVREC_LLM_BACKEND.
"""

from __future__ import annotations

from typing import Any

from convrec.agent.graph import build_graph


def make_graph(config: Any = None) -> Any:
    return build_graph().compile(name="convrec")
