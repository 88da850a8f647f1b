"""The agent with real language models: the embedded SmolLM2, and the same model behind
an OpenAI-compatible HTTP server (the `openai` backend), plus an endpoint that is down."""

from __future__ import annotations

import pytest

from convrec.agent.ledger import Ledger
from convrec.agent.policy import LlmPolicy
from convrec.agent.respond import named_films
from convrec.agent.service import Agent, TurnResult
from convrec.catalog.normalize import title_key
from convrec.config import get_settings
from convrec.llm.openai_api import OpenAiLlm
from convrec.tools.context import ToolContext
from convrec.tools.filters import violations
from tests.agent.conftest import free_port

pytestmark = pytest.mark.integration


def make_agent(real_resources, tmp_path, llm, **kw) -> Agent:
    settings = get_settings(sessions_path=tmp_path / "sessions.sqlite")
    return Agent(settings, resources=real_resources, llm=llm, **kw)


def assert_grounded(result: TurnResult, ctx: ToolContext) -> None:
    """Shown films are verified, and the reply names no film that is not shown."""
    ids = result.item_ids
    assert set(ids) <= ctx.catalog.exists(ids)
    constraints = Ledger.model_validate(result.ledger).to_filter()
    if constraints is not None and ids:
        assert not any(violations(ids, constraints, ctx).values())
    shown = {title_key(c["title"]) for c in result.cards}
    cited = named_films(" ".join(c["reason"] for c in result.cards), ctx)  # evidence
    shown_words = {w for key in shown | cited for w in key.split()}
    stray = {k for k in named_films(result.reply, ctx)
             if k not in shown | cited and not set(k.split()) <= shown_words}
    assert not stray, f"reply names films that were neither shown nor evidence: {stray}"


def test_embedded_model_scores_the_plan_and_writes_the_intro(real_resources, tmp_path,
                                                            local_llm):
    ctx = ToolContext(real_resources)
    agent = make_agent(real_resources, tmp_path, local_llm)
    events = list(agent.stream("a heist film with a clever twist", thread_id="l1",
                               user_id="ml:1"))
    result = events[-1]["result"]
    assert result.act == "recommend" and len(result.item_ids) == 5
    assert result.plan_source == "llm"  # several valid plans: the model scored them
    assert result.reply_source in ("llm-intro", "template")
    assert result.first_token_ms is not None
    assert_grounded(result, ctx)
    tokens = [e for e in events if e["event"] in ("token", "reset")]
    after_reset = []
    for event in tokens:
        after_reset = [] if event["event"] == "reset" else [*after_reset, event["text"]]
    assert "".join(after_reset).strip() == result.reply.strip()


def test_llm_policy_decides_with_the_embedded_model(real_resources, tmp_path, local_llm):
    agent = make_agent(real_resources, tmp_path, local_llm, policy=LlmPolicy(local_llm))
    result = agent.turn("something with Tom Hanks", thread_id="p1")
    assert result.act_source in ("llm", "rules")
    assert result.reply


def test_openai_backend_end_to_end(real_resources, tmp_path, openai_server):
    """A capable-flagged API model (here the tiny model behind the server) reads the turn,
    plans with structured output and writes the reply; whatever it returns, only verified
    films reach the user."""
    ctx = ToolContext(real_resources)
    llm = OpenAiLlm(base_url=openai_server, timeout_s=60.0, max_retries=0)
    agent = make_agent(real_resources, tmp_path, llm)
    first = agent.turn("a 90s comedy, no Adam Sandler, nothing too long", thread_id="o1")
    assert first.act == "recommend" and first.item_ids
    assert_grounded(first, ctx)
    assert {"Comedy", "1990-1999", "no Adam Sandler"} <= set(first.chips)
    second = agent.turn("who directed the first one?", thread_id="o1")
    assert second.act == "answer" and second.reply


def test_endpoint_down_still_answers(real_resources, tmp_path):
    ctx = ToolContext(real_resources)
    llm = OpenAiLlm(base_url=f"http://127.0.0.1:{free_port()}/v1", timeout_s=2.0,
                    max_retries=0)
    agent = make_agent(real_resources, tmp_path, llm)
    result = agent.turn("a western with Clint Eastwood", thread_id="d1")
    assert result.act == "recommend" and result.item_ids
    assert result.reply_source == "template"
    assert_grounded(result, ctx)
    assert any("unavailable" in n for n in result.notes)
