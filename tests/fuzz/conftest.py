"""Fixtures of the fuzz tests: one template-only agent over the real catalog for the whole
session, a sentinel thread no case may touch, and the catalog's hash to compare."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SENTINEL_THREAD = "fuzz-sentinel"
SENTINEL_MESSAGES = ("a comedy from the 90s", "no horror")


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@pytest.fixture(scope="session")
def catalog_hash(real_catalog_path) -> str:
    """The catalog's sha256 before any case ran."""
    return file_hash(real_catalog_path)


@pytest.fixture(scope="session")
def fuzz_agent(real_resources, tmp_path_factory) -> Iterator[Any]:
    """The agent on the real catalog and indexes, templates only (no LLM: cases are fast),
    with its own sessions file, and a sentinel thread of two turns already in it."""
    from convrec.config import Settings
    from convrec.eval.bench_agent import make_bench_agent

    home = tmp_path_factory.mktemp("fuzz-home")
    settings = Settings(home=home, agent_k=5, agent_policy="rules", agent_recursion_limit=12)
    agent = make_bench_agent(settings, real_resources, "none", home / "sessions.sqlite")
    for message in SENTINEL_MESSAGES:
        agent.turn(message, thread_id=SENTINEL_THREAD)
    yield agent
    agent.close()


def state_digest(agent: Any, thread_id: str) -> str:
    """A short fingerprint of a thread's whole persisted state."""
    text = json.dumps(agent.state(thread_id), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@pytest.fixture(scope="session")
def sentinel_state(fuzz_agent) -> str:
    return state_digest(fuzz_agent, SENTINEL_THREAD)


def one_line(message: str) -> bool:
    """An error a person can read: one line, no traceback, not empty."""
    text = message.strip()
    return bool(text) and "\n" not in text and "Traceback" not in text
