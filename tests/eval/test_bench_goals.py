"""`convrec bench goals` on the real catalog: the 44 scripted multi-part, sequence, budget
and distinct requests keep every sub-goal satisfied, each film checked against its part."""

from __future__ import annotations

from pathlib import Path

import pytest

from convrec.agent.service import Agent
from convrec.config import get_settings
from convrec.errors import ConvrecError
from convrec.eval.bench_goals import goals_markdown, load_requests, run_goals_bench
from convrec.tools.context import ToolContext

REQUESTS = Path(__file__).resolve().parents[2] / "benchmarks" / "goals" / "requests.jsonl"


@pytest.mark.integration
def test_every_scripted_request_meets_each_part(real_resources, tmp_path):
    agent = Agent(get_settings(sessions_path=tmp_path / "s.sqlite"), resources=real_resources,
                  use_llm=False)
    try:
        results = run_goals_bench(agent, load_requests(REQUESTS), ToolContext(real_resources))
    finally:
        agent.close()
    failed = [(r["id"], p["problems"], r["shape"]) for r in results["rows"]
              for p in r["parts"] if not p["ok"]]
    assert results["requests"] >= 40 and not failed
    assert results["follow_ups_ok"] == results["follow_ups"] >= 5
    text = goals_markdown(results, backend="none", command="convrec bench goals", source="x")
    assert "| sub-goals satisfied |" in text and "p95" in text


def test_a_bad_request_line_is_one_line_error(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"id": "x", "text": "a comedy", "parts": [{"genre": "Comedy"}]}\n')
    with pytest.raises(ConvrecError, match=r"r.jsonl:1: not a goal request") as info:
        load_requests(path)
    assert "\n" not in str(info.value)
