"""The agent benchmark: the twenty scripted conversations on the real catalog, and its checker.

On the real catalog (skipped without the datasets) every conversation of
benchmarks/conversations runs through the agent with templates only (backend none):
no turn may recommend a film that breaks the ledger's constraints, repeats one, is
not in the catalog or was rated by the dataset user, and no turn may raise; every
turn's expectations must hold. The checker itself is tested on hand-made turn
results over the small synthetic catalog, and `convrec bench agent` end to end on it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from convrec.agent.ledger import Ledger
from convrec.agent.service import TurnResult
from convrec.errors import ConvrecError
from convrec.eval.bench_agent import (
    MUST_BE_ZERO,
    check_turn,
    make_bench_agent,
    run_agent_bench,
    run_conversation,
    summarize,
)
from convrec.eval.conversations import Conversation, Expect, load_conversations
from convrec.tools.context import Resources, ToolContext

REPO_ROOT = Path(__file__).resolve().parents[2]
CONVERSATIONS = REPO_ROOT / "benchmarks" / "conversations"

# ----------------------------------------------------------------------------- the files


def test_the_twenty_conversation_files():
    conversations = load_conversations(CONVERSATIONS)
    assert [key[:2] for key, _ in conversations] == [f"{n:02d}" for n in range(1, 21)]
    for key, conversation in conversations:
        assert 3 <= len(conversation.turns) <= 8, key
        assert conversation.name and conversation.description, key
    users = [c.user or "" for _, c in conversations]
    assert any(u.startswith("ml:") for u in users)
    assert any(u.startswith("critic:") for u in users)
    assert users.count("") >= 10
    texts = [t.text for _, c in conversations for t in c.turns]
    assert "" in texts and any(t.strip() == "" and t for t in texts)  # empty and blank turns
    assert any(len(t) == 10_000 for t in texts)


def test_a_bad_conversation_file_is_one_clear_error(tmp_path):
    (tmp_path / "01-typo.json").write_text(json.dumps(
        {"name": "x", "turns": [{"text": "hi", "expect": {"chip_include": ["Comedy"]}}]}))
    with pytest.raises(ConvrecError, match=r"01-typo\.json: turns\.0\.expect\.chip_include"):
        load_conversations(tmp_path)
    (tmp_path / "01-typo.json").write_text(json.dumps(
        {"name": "x", "turns": [{"text": "hi", "expect": {"act": "recomend"}}]}))
    with pytest.raises(ConvrecError, match="unknown act 'recomend'"):
        load_conversations(tmp_path)
    (tmp_path / "01-typo.json").write_text(json.dumps({"name": "x", "user": "ml:abc",
                                                        "turns": ["hi"]}))
    with pytest.raises(ConvrecError, match="MovieLens user ids are numbers"):
        load_conversations(tmp_path)
    with pytest.raises(ConvrecError, match="no conversations folder"):
        load_conversations(tmp_path / "nope")


# ----------------------------------------------------------------------------- the checker


def _ids(catalog: Any, *titles: str) -> list[int]:
    out = []
    for title in titles:
        rows = catalog.query("SELECT item_id FROM items WHERE title = ? ORDER BY item_id",
                             (title,))
        assert rows, title
        out.append(int(rows[0][0]))
    return out


def _result(ledger: Ledger, ids: list[int], titles: list[str], *, act: str = "recommend",
            reply: str = "Here are some films", turn: int = 2) -> TurnResult:
    return TurnResult(
        thread_id="t", turn=turn, user_id=None, message="m", reply=reply, act=act,
        user_act="inform", item_ids=ids,
        cards=[{"item_id": i, "title": t} for i, t in zip(ids, titles, strict=True)],
        ledger=ledger.model_dump(mode="json"), chips=ledger.describe(),
        timings_ms={"understand": 1.0, "policy": 0.1, "respond": 1.0, "total": 3.0},
        first_token_ms=2.0,
    )


def test_the_checker_catches_planted_violation_repeat_and_unknown_id(synthetic_catalog,
                                                                      tmp_path):
    ctx = ToolContext(Resources(synthetic_catalog, tmp_path / "index"))
    alien, groundhog, clueless, lebowski = _ids(
        synthetic_catalog, "Alien", "Groundhog Day", "Clueless", "The Big Lebowski")
    unknown = 987_654_321
    before = Ledger(seen={clueless: 1})
    after = before.model_copy(update={"genres_exclude": {"Horror": 2}})
    ids = [alien, groundhog, clueless, unknown, lebowski]
    titles = ["Alien", "Groundhog Day", "Clueless", "Nothing", "The Big Lebowski"]
    expect = Expect(act="answer", max_items=2, chips_include=["no Horror", "1990"],
                    chips_exclude=["horror"], reply_contains=["nope"],
                    reply_not_contains=["SOME"], titles_exclude=["alien"], seen_min=2,
                    rejected_min=1)
    found = check_turn(_result(after, ids, titles), before=before, earlier={groundhog: 1},
                       ctx=ctx, history={lebowski}, expect=expect)
    assert list(found.violations) == [alien]
    assert "Horror" in found.violations[alien][0]
    assert found.repeats == {groundhog: "already recommended in turn 1",
                             clueless: "the user marked it seen"}
    assert found.out_of_catalog == [unknown]
    assert found.rated_before == [lebowski]
    assert found.failures == [
        "act 'recommend', expected 'answer'",
        "5 films, expected at most 2",
        "no chip contains '1990' (chips: ['no Horror'])",
        "chip 'no Horror' contains 'horror'",
        "reply lacks 'nope'",
        "reply contains 'SOME'",
        "recommended 'Alien'",
        "1 films marked seen, expected at least 2",
        "0 films marked rejected, expected at least 1",
    ]
    # the same list twice in one turn is a repeat; a film marked in this very turn too
    now_seen = after.model_copy(update={"seen": {clueless: 1, lebowski: 2}})
    twice = check_turn(_result(now_seen, [groundhog, groundhog, lebowski],
                               ["Groundhog Day"] * 2 + ["The Big Lebowski"]),
                       before=before, earlier={}, ctx=ctx)
    assert twice.repeats == {groundhog: "2 times in the list",
                             lebowski: "the user marked it seen"}
    # a film marked in an earlier turn stays a repeat after the ledger forgot it
    forgot = check_turn(_result(Ledger(), [lebowski], ["The Big Lebowski"]), before=Ledger(),
                        earlier={}, ctx=ctx, marked={lebowski: "liked"})
    assert forgot.repeats == {lebowski: "the user marked it liked earlier"}
    clean = check_turn(_result(after, [groundhog], ["Groundhog Day"]), before=before,
                       earlier={}, ctx=ctx, expect=Expect(act="recommend", min_items=1))
    assert (clean.violations, clean.repeats, clean.out_of_catalog, clean.failures) == (
        {}, {}, [], [])


class _ScriptedAgent:
    """Hands back prepared turn results; raises on the turn whose text is 'boom'."""

    def __init__(self, resources: Resources, results: dict[str, TurnResult]) -> None:
        self.resources = resources
        self.results = results
        self.calls: list[str] = []

    def turn(self, message: str, *, thread_id: str, user_id: str | None = None) -> TurnResult:
        self.calls.append(message)
        if message == "boom":
            raise RuntimeError("the graph fell over")
        return self.results[message]

    def ledger(self, thread_id: str) -> Ledger:
        return Ledger()


def test_an_exception_is_counted_and_the_conversation_goes_on(synthetic_catalog, tmp_path):
    resources = Resources(synthetic_catalog, tmp_path / "index")
    groundhog, clueless = _ids(synthetic_catalog, "Groundhog Day", "Clueless")
    comedy = Ledger(genres_include={"Comedy": 1})
    agent = _ScriptedAgent(resources, {
        "a comedy": _result(comedy, [groundhog], ["Groundhog Day"], turn=1),
        "more": _result(comedy, [groundhog, clueless], ["Groundhog Day", "Clueless"], turn=3),
    })
    conversation = Conversation.model_validate({"name": "x", "turns": [
        {"text": "a comedy", "expect": {"act": "recommend"}}, "boom", "more"]})
    checks = run_conversation(agent, "01-x", conversation)
    assert agent.calls == ["a comedy", "boom", "more"]
    assert checks[1].exception is not None and "the graph fell over" in checks[1].exception
    assert checks[2].findings.repeats == {groundhog: "already recommended in turn 1"}
    summary = summarize(checks, [("01-x", conversation)], repeats=1, seconds=1.0)
    assert summary["counts"] == {"violations": 0, "repeats": 1, "out_of_catalog": 0,
                                 "rated_before": 0, "exceptions": 1,
                                 "expectation_failures": 0}
    assert summary["ok"] is False
    assert summary["latency_ms"]["total"]["n"] == 2
    assert summary["latency_ms"]["plan"]["n"] == 0
    assert summary["first_token_ms"]["p50"] == 2.0
    assert any("exception: RuntimeError" in p for p in summary["problems"])


# ----------------------------------------------------------------------------- real catalog


@pytest.fixture(scope="module")
def bench(real_resources, tmp_path_factory) -> dict[str, Any]:
    """Every conversation once through the agent, templates only (~20 s after the indexes)."""
    from convrec.config import Settings

    home = tmp_path_factory.mktemp("bench-agent-home")
    settings = Settings(home=home, agent_k=5, agent_policy="rules", agent_recursion_limit=12)
    agent = make_bench_agent(settings, real_resources, "none", home / "sessions.sqlite")
    try:
        return run_agent_bench(agent, load_conversations(CONVERSATIONS), warm=False)
    finally:
        agent.close()


def test_no_violation_repeat_unknown_or_rated_film_and_no_exception(bench):
    conversations = load_conversations(CONVERSATIONS)
    assert bench["turns"] == sum(len(c.turns) for _, c in conversations)
    assert bench["items"] > 100
    counts = {k: bench["counts"][k] for k in MUST_BE_ZERO}
    problems = [p for p in bench["problems"] if ": expectation: " not in p]
    assert counts == dict.fromkeys(MUST_BE_ZERO, 0), "\n".join(problems)
    assert bench["ok"]
    assert bench["latency_ms"]["total"]["n"] == bench["turns"]
    assert bench["first_token_ms"]["n"] == bench["turns"]


def test_every_expectation_holds(bench):
    failures = [p for p in bench["problems"] if ": expectation: " in p]
    assert not failures, f"{len(failures)} expectation(s) failed:\n" + "\n".join(failures)


# ----------------------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def synthetic_index(synthetic_catalog, tmp_path_factory) -> Path:
    from convrec.tools.index_build import build_indexes

    folder = tmp_path_factory.mktemp("bench-agent-index")
    build_indexes(synthetic_catalog, folder)
    return folder


def test_bench_agent_command_reports_and_writes(synthetic_source, synthetic_catalog_path,
                                                synthetic_index, tmp_path):
    folder = tmp_path / "conversations"
    folder.mkdir()
    (folder / "01-comedy.json").write_text(json.dumps({
        "name": "comedy", "turns": [
            {"text": "a comedy from the 90s", "expect": {"act": "recommend", "min_items": 1}},
            {"text": "", "expect": {"act": "chitchat"}},
            {"text": "more", "expect": {"chips_include": ["Comedy"]}},
        ]}))
    doc = tmp_path / "BENCHMARKS.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVREC_")}
    env.update({"CONVREC_HOME": str(tmp_path / "home"),
                "CONVREC_DATA_DIR": str(synthetic_source[0]),
                "CONVREC_CATALOG_PATH": str(synthetic_catalog_path),
                "CONVREC_INDEX_DIR": str(synthetic_index)})
    out = subprocess.run(
        [sys.executable, "-m", "convrec.cli", "bench", "agent", "--backend", "none",
         "--conversations", str(folder), "--write", "--doc", str(doc)],
        capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    text = doc.read_text()
    assert "<!-- bench:agent-none -->" in text and "<!-- /bench:agent-none -->" in text
    assert f"convrec bench agent --backend none --conversations {folder} --write" in text
    assert "| total |" in text and "first streamed token" in text
    missing = subprocess.run(
        [sys.executable, "-m", "convrec.cli", "bench", "agent", "--backend", "none",
         "--conversations", str(tmp_path / "nope")],
        capture_output=True, text=True, env=env, timeout=120)
    assert missing.returncode != 0 and "Traceback" not in missing.stderr
    assert "no conversations folder" in missing.stderr
