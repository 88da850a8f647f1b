"""The LLM endpoint failing: down, hanging, slow, or answering garbage. The turn still answers
(films from the tools, a template reply), says why in one line, and waits on the endpoint
at most the turn's LLM budget plus the client's retry back-off, whatever the number of LLM
calls in the turn (reading, goals, tool-calling planner and its fallback, reply, intro).

The bound, from the code (convrec.llm.turn_budget, convrec.llm.http_deadline): every
request's timeout is cut to what is left of the budget, a response still arriving at the
budget's end is cut, no request starts after it, and once the endpoint failed unavailable no
later call of the turn sends one. The openai client sleeps between its retries
(0.5 s x 2^n, at most 8 s; a server's Retry-After is dropped inside a turn): that sleep is
the only wait outside the budget. Without the budget the same turn would wait up to
(calls x (1 + retries) x timeout).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from convrec.agent.ledger import Ledger
from convrec.agent.service import Agent, TurnResult
from convrec.config import Settings
from convrec.llm.factory import get_llm
from convrec.llm.types import LlmUnavailable
from convrec.tools.context import Resources, ToolContext
from tests.reliability.fault_endpoint import fault_endpoint, free_port

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

TIMEOUT_S = 1.0  # llm_timeout_s
RETRIES = 2  # llm_max_retries (the default)
ASK = "a 90s comedy about friendship"  # reading, planner (bm25 applies), reply, intro
SCHEDULING_S = 0.5  # threads waking up late on two busy cores
UNAVAILABLE = ("down", "hang", "slow", "error500", "truncated", "endless")
GARBAGE = ("text", "wrongjson", "noschema")


def retry_backoff(retries: int) -> float:
    """The most the openai client sleeps between `retries` retries (0.5 s x 2^n, <= 8 s)."""
    return sum(min(0.5 * 2 ** n, 8.0) for n in range(retries))


def turn(resources: Resources, tmp_path: Path, base_url: str) -> tuple[TurnResult, Settings]:
    settings = Settings(home=tmp_path / "home", sessions_path=tmp_path / "sessions.sqlite",
                        llm_backend="openai", llm_base_url=base_url, llm_model="m",
                        llm_timeout_s=TIMEOUT_S, llm_max_retries=RETRIES)
    agent = Agent(settings, resources=resources, llm=get_llm(settings))
    try:
        return agent.turn(ASK, thread_id="faults"), settings
    finally:
        agent.close()


@pytest.mark.parametrize("mode", [*UNAVAILABLE, *GARBAGE])
def test_the_turn_answers_from_templates_within_the_budget(real_resources, tmp_path, mode):
    with fault_endpoint() as (root, counts):
        url = (f"http://127.0.0.1:{free_port()}/v1" if mode == "down"
               else f"{root}/{mode}/v1")
        result, settings = turn(real_resources, tmp_path, url)
    # it answers: verified films, from templates
    ledger = Ledger.model_validate(result.ledger)
    constraints = ledger.to_filter()
    assert result.act == "recommend" and result.item_ids and constraints is not None
    from convrec.tools.filters import violations

    assert not any(violations(result.item_ids, constraints,
                              ToolContext(real_resources)).values())
    assert result.reply_source == "template" and result.reply.startswith("Here are")
    # why, in one line, in the notes and the trace
    notes = [n for n in result.notes if n.startswith("LLM endpoint ")]
    assert len(notes) == 1 and "\n" not in notes[0], result.notes
    assert notes[0].endswith(": template reply") and notes[0] in result.trace
    kind = "unreachable" if mode in UNAVAILABLE else "answered garbage"
    assert notes[0].startswith(f"LLM endpoint {kind} ("), notes[0]
    # the whole turn's wait on the endpoint: the budget plus the retries' back-off
    budget = settings.llm_turn_budget()
    assert budget == 4 * TIMEOUT_S
    bound = budget + retry_backoff(RETRIES) + SCHEDULING_S
    assert result.timings_ms["llm_wait"] <= bound * 1000, result.timings_ms
    if mode in UNAVAILABLE and mode != "down":  # one call's attempts, then none
        assert counts[mode] <= 1 + RETRIES, counts


def test_a_configured_budget_bounds_a_slow_but_answering_endpoint(real_resources, tmp_path):
    """Each request under the timeout, but many of them: the budget still ends the wait."""
    with fault_endpoint() as (root, counts):
        settings = Settings(home=tmp_path / "home", sessions_path=tmp_path / "s.sqlite",
                            llm_backend="openai", llm_base_url=f"{root}/hang/v1",
                            llm_model="m", llm_timeout_s=30.0, llm_max_retries=0,
                            llm_turn_budget_s=TIMEOUT_S)
        agent = Agent(settings, resources=real_resources, llm=get_llm(settings))
        try:
            result = agent.turn(ASK, thread_id="budget")
        finally:
            agent.close()
    assert result.item_ids and result.reply_source == "template"
    assert any("LLM budget of 1 s ran out" in n for n in result.notes), result.notes
    assert result.timings_ms["llm_wait"] <= (TIMEOUT_S + SCHEDULING_S) * 1000
    assert counts["hang"] == 1


@pytest.mark.parametrize("stream", [False, True], ids=["body", "stream"])
def test_an_endless_response_is_cut_outside_a_turn(stream):
    """No turn budget (`convrec llm say`, the bench): a body is cut at the timeout, a
    stream at STREAM_FACTOR x the timeout."""
    from convrec.llm.http_deadline import STREAM_FACTOR
    from convrec.llm.openai_api import OpenAiLlm

    with fault_endpoint() as (root, _):
        llm = OpenAiLlm(base_url=f"{root}/endless/v1", model="m", timeout_s=0.5,
                        max_retries=0)
        _ = llm.chat_model  # built (and langchain-openai imported) before the clock starts
        started = time.monotonic()
        with pytest.raises(LlmUnavailable, match=r"did not answer within 0\.5 s"):
            messages = [{"role": "user", "content": "hi"}]
            if stream:
                list(llm.stream(messages, max_tokens=5))
            else:
                llm.complete(messages, max_tokens=5)
        waited = time.monotonic() - started
    assert waited <= 0.5 * (STREAM_FACTOR if stream else 1) + SCHEDULING_S + 0.5


def test_the_default_budget_is_four_request_timeouts():
    assert Settings(llm_timeout_s=7).llm_turn_budget() == 28
    assert Settings(llm_timeout_s=7).llm_turn_budget(120) == 480  # the endpoint's own
    assert Settings(llm_timeout_s=7, llm_turn_budget_s=3).llm_turn_budget(120) == 3
