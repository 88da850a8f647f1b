"""One test per class of failure the fuzz runs found (each failed before its fix)."""

from __future__ import annotations

import json

import pytest

from convrec.agent.goals.split import split_parts
from convrec.cli.chat import json_line, read_script
from convrec.errors import ConvrecError
from convrec.eval.bench_agent import check_turn
from convrec.tools.context import ToolContext
from convrec.tools.registry import TOOLS


@pytest.mark.parametrize(("call", "message"), [
    (lambda a: a.turn("a comedy", thread_id=0), "thread id must be text"),
    (lambda a: a.turn("a comedy", thread_id="\ud800"), "lone surrogate"),
    (lambda a: a.turn("a comedy", thread_id="t", user_id=["ml:1"]), "user id must be text"),
    (lambda a: a.feedback("t", "1e3", "like"), "whole number"),
    (lambda a: a.feedback("t", None, "like"), "whole number"),
    (lambda a: a.feedback("t", 2**70, "like"), "not in the catalog"),
    (lambda a: a.feedback("t", 1, ["like"]), "unknown feedback"),
    (lambda a: a.remove_constraint("t", {"genre": "Comedy"}), "must be text"),
])
def test_wrong_types_and_ranges_are_one_line_errors(fuzz_agent, call, message):
    with pytest.raises(ConvrecError, match=message):
        call(fuzz_agent)


def test_a_lone_surrogate_in_a_message_is_answered_and_saved(fuzz_agent):
    result = fuzz_agent.turn("a comedy \ud800 from the 90s", thread_id="reg-surrogate")
    assert result.reply and "\ufffd" in result.message


def test_a_runtime_past_a_day_is_no_constraint_and_the_turn_is_saved(fuzz_agent):
    result = fuzz_agent.turn("a comedy under 99999999999999999999 minutes",
                             thread_id="reg-runtime")
    assert result.reply and fuzz_agent.state("reg-runtime")["turn"] == 1


@pytest.mark.parametrize("user", ["ml:99999999999999999999999", "ml:\u00b2"])
def test_a_user_id_no_catalog_can_hold_is_refused_and_the_thread_goes_on(fuzz_agent, user):
    # before: the id was kept, and every later turn of the thread failed binding it to SQL
    thread = f"reg-user-{len(user)}"
    with pytest.raises(ConvrecError, match="MovieLens user"):
        fuzz_agent.turn("a comedy", thread_id=thread, user_id=user)
    assert fuzz_agent.turn("a comedy from the 90s", thread_id=thread).item_ids


@pytest.mark.parametrize("request_in_parts", [
    "two films for a double feature: one comedy, one thriller",  # with shared words
    "a cartoon for my nephew and a war drama for my dad",  # without
])
def test_parts_replace_the_conversations_genre_not_its_era(fuzz_agent, request_in_parts):
    # before: the earlier "comedy" stayed in the shared ledger above the thriller's card
    # (and every check of the turn called the thriller a violation)
    thread = f"reg-parts-{len(request_in_parts)}"
    fuzz_agent.turn("a comedy from the 90s", thread_id=thread)
    before = fuzz_agent.ledger(thread)
    result = fuzz_agent.turn(request_in_parts, thread_id=thread)
    assert len(result.item_ids) >= 2
    findings = check_turn(result, before=before, earlier={},
                          ctx=ToolContext(fuzz_agent.resources))
    assert not findings.violations, findings.violations
    assert not result.ledger["genres_include"]
    years = [i.year for i in fuzz_agent.resources.catalog.items(result.item_ids)]
    assert all(1990 <= y <= 1999 for y in years), years  # what every part still shares


@pytest.mark.timeout(120)
def test_long_whitespace_runs_split_in_linear_time():
    # cubic before: 864 characters of U+2028 and spaces took 45 s, 2,000 take hours
    split = split_parts("\u2028 " * 1000 + "a comedy and then a thriller")
    assert split.parts == ["a comedy", "a thriller"]


def test_tools_hand_back_only_catalog_ids(real_resources):
    spec = TOOLS["rank_cf"]
    output = spec.function(spec.args_model(k=5), ToolContext(real_resources),
                           candidates=[0, -3, 2**63 - 1, 1, 2])
    assert set(output.ids()) <= {1, 2}
    assert real_resources.catalog.exists([2**70, -(2**70), 1]) == {1}


@pytest.mark.parametrize(("content", "message"), [
    (b"\xff\xfe a comedy", "not UTF-8"),
    (b'{"turns": [1, 2]}', "turn 1 must be text"),
    (b'{"turns": ["hi"], "user": 42}', "must be text"),
    (b"[" * 5000 + b"]" * 5000, "nested too deep|refuses"),
])
def test_bad_scripts_are_one_line_errors(tmp_path, content, message):
    path = tmp_path / "script.txt"
    path.write_bytes(content)
    with pytest.raises(ConvrecError, match=message):
        read_script(path)
    with pytest.raises(ConvrecError, match="not a file"):
        read_script(tmp_path)


def test_json_lines_records_are_one_line_for_every_line_reader():
    line = json_line({"reply": "a\u2028b\x85c\u2029d\ne"})
    assert len(line.splitlines()) == 1 and json.loads(line)["reply"] == "a\u2028b\x85c\u2029d\ne"
