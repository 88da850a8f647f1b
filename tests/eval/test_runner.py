"""Simulation runs: resuming an interrupted run loses and repeats nothing, folders refuse a
second protocol, and `convrec simulate` works end to end as a user runs it."""

from __future__ import annotations

import json

import pytest

from convrec.errors import ConvrecError
from convrec.eval.runner import DIALOGUES, SimulationConfig, read_records, run_simulation
from tests.test_cli import assert_one_line_error, run_cli


def _config(**changes):
    base = dict(scenarios=["movielens:test", "redial:test"], n=2,
                systems=["popularity", "agent:none"], max_turns=3, seed=4)
    return SimulationConfig(**{**base, **changes})


def _content(records):
    """What a dialogue said and showed, without timings."""
    return sorted((r.system, r.scenario.id, r.persona, r.success, r.ended_by,
                   tuple((t.user, t.act, tuple(t.item_ids)) for t in r.turns))
                  for r in records)


def test_interrupted_run_resumes_where_it_stopped(sim_settings, sim_home, tmp_path):
    whole = run_simulation(_config(), sim_settings, tmp_path / "whole")
    assert len(whole) == 8  # 2 sources x 2 scenarios x 2 systems

    out = tmp_path / "interrupted"
    first = run_simulation(_config(), sim_settings, out, limit=5)
    assert len(first) == 5
    path = out / DIALOGUES
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:4]) + lines[4][: len(lines[4]) // 2])  # killed mid-write
    assert len(read_records(path)) == 4

    resumed = run_simulation(_config(), sim_settings, out)
    assert len(resumed) == 8
    keys = [r.key for r in read_records(path)]
    assert len(keys) == len(set(keys)) == 8
    assert _content(read_records(path)) == _content(whole)  # same as never interrupted
    run_simulation(_config(), sim_settings, out)
    assert len(read_records(path)) == 8  # a finished run adds nothing


def test_a_folder_holds_one_protocol(sim_settings, sim_home, tmp_path):
    run_simulation(_config(systems=["popularity"]), sim_settings, tmp_path / "run", limit=1)
    with pytest.raises(ConvrecError, match="another config"):
        run_simulation(_config(systems=["popularity"], max_turns=4), sim_settings,
                       tmp_path / "run")


def test_every_system_meets_the_same_users(sim_settings, sim_home, tmp_path):
    records = run_simulation(_config(systems=["popularity", "bm25", "agent:none"]),
                             sim_settings, tmp_path / "run")
    by_scenario: dict[str, list] = {}
    for r in records:
        by_scenario.setdefault(r.scenario.id, []).append(r)
    for group in by_scenario.values():
        assert len(group) == 3
        assert len({r.persona for r in group}) == 1
        assert len({r.turns[0].user for r in group}) == 1  # the same opening


@pytest.mark.parametrize(("options", "fragment"), [
    (["--n", "0"], "--n"),
    (["--turns", "11"], "--turns"),
    (["--systems", "agent:gpt9"], "unknown system"),
    (["--scenarios", "imdb:test"], "unknown scenario source"),
    (["--personas", "grumpy=1"], "personas"),
    (["--workers", "64"], "--workers"),
])
def test_simulate_bad_options_are_one_line(options, fragment, tmp_path):
    result = run_cli("simulate", *options, "--out", str(tmp_path / "run"),
                     env={"CONVREC_HOME": str(tmp_path / "home")})
    assert_one_line_error(result, fragment)


def test_simulate_command_end_to_end(sim_settings, sim_home, real_data_dir, tmp_path):
    env = {"CONVREC_HOME": str(sim_settings.home), "CONVREC_DATA_DIR": str(real_data_dir),
           "CONVREC_CATALOG_PATH": str(sim_settings.catalog),
           "CONVREC_INDEX_DIR": str(sim_settings.index)}
    out = tmp_path / "run"
    result = run_cli("simulate", "--scenarios", "critics:test,redial:test", "--n", "2",
                     "--systems", "cf,agent:none", "--turns", "3", "--workers", "2",
                     "--out", str(out), "--json", env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert set(summary["systems"]) == {"cf", "agent:none"}
    for name in ("dialogues.jsonl", "metrics.json", "report.md", "config.json",
                 "success_by_turn.png", "latency.png", "recall.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    assert len(read_records(out / DIALOGUES)) == 8
    report = (out / "report.md").read_text()
    assert "agent:none" in report and "success_by_turn.png" in report

    compared = run_cli("eval", "compare", str(out), str(out), "--system-a", "cf",
                       "--system-b", "agent:none", "--resamples", "500", "--json", env=env)
    assert compared.returncode == 0, compared.stderr
    rows = {r["metric"]: r for r in json.loads(compared.stdout)}
    assert rows["success"]["n_paired"] == 4 and rows["success"]["method"] == "paired"
    assert rows["success"]["ci_low"] <= rows["success"]["diff"] <= rows["success"]["ci_high"]
    bad = run_cli("eval", "compare", str(out), str(out), "--system-a", "nobody", env=env)
    assert_one_line_error(bad, "nobody")
