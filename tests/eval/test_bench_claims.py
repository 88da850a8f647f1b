"""`convrec bench claims`: the counting by hand on made-up samples, and the command on a tiny
scripted conversation with the real embedded model."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from convrec.eval.bench_claims import ClaimSample, summarize
from convrec.eval.claims_report import claims_markdown


def sample(after: str, after_bad: list[str], free: str, free_bad: list[str], *,
           old_ok: bool = True) -> ClaimSample:
    return ClaimSample(
        origin="script:x", index=1, message="a 90s comedy", chips=["Comedy", "1990-1999"],
        titles=["Groundhog Day (1993)"], reply_source="llm-intro" if after else "template",
        after=after, after_claims=2 if after else 0, after_unsupported=after_bad, after_ms=90.0,
        free=free, free_old_ok=old_ok, free_claims=3, free_unsupported=free_bad, free_ms=300.0,
        rerun=after or None, rerun_ms=80.0 if after else None)


def test_rates_count_replies_and_claims_and_what_the_old_checks_dropped():
    samples = [
        sample("Here are some 1990s comedy films.", [], "This is a great choice.",
               ["word 'great'"]),
        sample("Here are some comedy films.", [], "Clint Eastwood's The Devil Wears a Scarf.",
               ["name \"Clint Eastwood's\"", "name 'The Devil Wears a Scarf'"], old_ok=False),
        sample("", [], "Here are some 90s comedies.", []),
    ]
    out = summarize(samples, turns=5, errors=[], scripted=1, simulated=0, seconds=1.0)
    assert out["recommendation_turns"] == 3
    assert out["after"]["replies_with_unsupported"] == 0 and out["after"]["model_written"] == 2
    # before: what was shown; the old checks dropped the invented title (a template was shown)
    assert out["before"]["replies_with_unsupported"] == 1
    assert out["before"]["unsupported_claims"] == 1 and out["before"]["by_kind"] == {"word": 1}
    assert out["before_dropped_by_old_checks"] == 1
    assert out["free"]["replies_with_unsupported"] == 2
    assert out["free"]["replies_with_unsupported_fact"] == 1
    assert out["latency_ms"]["after_intro"]["n"] == 3
    assert out["latency_ms"]["after_side_by_side"]["n"] == 2 and out["rerun_differs"] == 0
    out["protocol"] = {"sources": ["movielens"], "split": "dev", "min_turns": 3, "max_turns": 5,
                       "seed": 0}
    text = claims_markdown(out, samples, command="convrec bench claims --write",
                           backend="local", audit_file="audit.jsonl")
    assert text.startswith("## Honest replies (issue 18)")
    assert "| replies with an unsupported claim | 1/3 (33.3%) | 0/3 (0.0%) |" in text
    assert "`audit.jsonl`" in text and "This is a great choice." in text


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_cli_runs_a_script_and_writes_the_section(real_resources, real_catalog_path,
                                                  llm_cache_dir, tmp_path):
    from convrec.cli import app

    folder = tmp_path / "conversations"
    folder.mkdir()
    (folder / "01-comedy.json").write_text(json.dumps({
        "name": "comedy", "description": "two recommendation turns", "user": None,
        "turns": [{"text": "a comedy from the 90s"}, {"text": "more please"}]}))
    doc, audit = tmp_path / "BENCHMARKS.md", tmp_path / "audit.jsonl"
    env = {"CONVREC_HOME": str(tmp_path / "home"), "CONVREC_CATALOG_PATH": str(real_catalog_path),
           "CONVREC_INDEX_DIR": str(real_resources.index_dir),
           "CONVREC_LLM_CACHE_DIR": str(llm_cache_dir)}
    result = CliRunner().invoke(app, [
        "bench", "claims", "--conversations", str(folder), "--turns", "2", "--sources",
        "movielens", "--out", str(audit), "--json", "--write", "--doc", str(doc)], env=env)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout[result.stdout.index("{"):result.stdout.rindex("}") + 1])
    assert out["recommendation_turns"] >= 2 and out["after"]["replies_with_unsupported"] == 0
    rows = [json.loads(line) for line in audit.read_text().splitlines()]
    assert len(rows) == out["recommendation_turns"] and all(r["after"] for r in rows)
    text = doc.read_text()
    assert "<!-- bench:claims -->" in text and "## Honest replies (issue 18)" in text


def test_the_audit_file_reads_back(tmp_path):
    from convrec.eval.bench_claims import read_samples, write_samples

    samples = [sample("Here are some comedy films.", [], "This is a great choice.",
                      ["word 'great'"])]
    write_samples(tmp_path / "audit.jsonl", samples)
    assert read_samples(tmp_path / "audit.jsonl") == samples
