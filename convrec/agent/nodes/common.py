"""What every node shares: the stream writer, timing, reading the ledger."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from convrec.agent.ledger import Ledger
from convrec.agent.state import AgentState


def writer() -> Any:
    """The stream writer of the running graph, or a no-op outside a streamed run."""
    try:
        # deferred: langgraph takes ~3 s to import; outside a run the writer is a no-op
        from langgraph.config import get_stream_writer

        return get_stream_writer()
    except Exception:  # not inside a runnable context (direct calls in tests)
        return lambda _event: None


def ledger_of(state: AgentState) -> Ledger:
    return Ledger.model_validate(state.get("ledger") or {})


@contextmanager
def step(state: AgentState, node: str, timings: dict[str, float]) -> Iterator[Any]:
    """Announce a node's start and end on the stream and time it into `timings`."""
    write = writer()
    write({"event": "node", "node": node, "status": "start"})
    started = time.perf_counter()
    try:
        yield write
    finally:
        ms = (time.perf_counter() - started) * 1000
        timings[node] = round(timings.get(node, 0.0) + ms, 2)
        write({"event": "node", "node": node, "status": "done", "ms": round(ms, 1)})


def timings_of(state: AgentState) -> dict[str, float]:
    return dict(state.get("timings_ms") or {})
