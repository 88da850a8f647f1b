"""What the Evaluate and Train tabs read and render, without a browser: run folders,
transcripts with the hidden target, reports, training curves, the job panel."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from convrec.eval.records import DialogueRecord, Scenario, TurnRecord
from convrec.jobs.store import Job, Progress, Status
from convrec.ui import runs
from convrec.ui.jobs_view import job_html, jobs_table


class FakeCatalog:
    """Titles for ids: the transcript's only use of the catalog."""

    def items(self, ids):
        from types import SimpleNamespace

        return [SimpleNamespace(item_id=i, title=f"<Film {i}>", year=2000 + i % 10) for i in ids]


def _record(system: str = "agent:none", success: bool = True) -> DialogueRecord:
    scenario = Scenario(id="movielens:1:7", source="movielens", split="test", user_id="ml:1",
                        target_ids=[7], liked_ids=[3])
    turns = [TurnRecord(index=1, user="a thriller please", act="ask_era", reply="Which era?",
                        trace=["understand: Thriller"]),
             TurnRecord(index=2, user="the 90s", act="recommend", item_ids=[5, 7], hit_rank=2,
                        reply="Here are two.", trace=["filter: 13,507 -> 40"])]
    return DialogueRecord(system=system, scenario=scenario, persona="cooperative",
                          simulator="template", seed=0, max_turns=5, turns=turns,
                          success=success, success_turn=2 if success else None,
                          ended_by="accept" if success else "max_turns")


def _write_run(folder: Path, records: list[DialogueRecord]) -> Path:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "dialogues.jsonl").write_text("".join(r.model_dump_json() + "\n" for r in records))
    return folder


def test_run_folders_are_found_newest_first(tmp_path):
    old = _write_run(tmp_path / "eval" / "old", [_record()])
    new = _write_run(tmp_path / "rl" / "x" / "eval" / "grpo", [_record()])
    os.utime(old / "config.json", (time.time() - 100, time.time() - 100))
    (tmp_path / "eval" / "empty").mkdir()
    assert runs.simulation_runs(tmp_path) == [new, old]
    assert runs.choices([new], tmp_path) == [("rl/x/eval/grpo", str(new))]
    ckpt = tmp_path / "rl" / "x" / "policy"
    ckpt.mkdir(parents=True)
    (ckpt / "config.json").write_text("{}")
    (ckpt / "policy.json").write_text("{}")
    (ckpt / "trainer").mkdir()  # trainer state folders are not checkpoints
    assert runs.checkpoints(tmp_path) == [ckpt]
    assert runs.simulation_runs(tmp_path / "nowhere") == []


def test_a_transcript_reveals_the_target_and_shows_each_turn(tmp_path):
    head, messages = runs.transcript(_record(), FakeCatalog())
    assert "Hidden target: <b>&lt;Film 7&gt; (2007)</b>" in head  # escaped
    assert 'data-success="true"' in head and "found the target at turn 2" in head
    assert [m["role"] for m in messages] == ["user", "assistant", "assistant"] * 2
    step = messages[4]
    assert step["metadata"]["title"] == "Turn 2: recommend, target at rank 2"
    assert "2. &lt;Film 7&gt; (2007) ← target" in step["content"]  # markup shown as text
    assert "- filter: 13,507 -&gt; 40" in step["content"]
    assert messages[5]["content"] == "Here are two."
    missed, _ = runs.transcript(_record(success=False), FakeCatalog())
    assert "did not find it (ended by max turns)" in missed


def test_running_metrics_and_dialogue_choices(tmp_path):
    run = _write_run(tmp_path / "r", [_record("agent:none"), _record("popularity", False)])
    table = runs.running_metrics(run)
    assert "2 dialogues so far" in table and "agent:none" in table and "popularity" in table
    labels = [label for label, _ in runs.dialogue_choices(runs.records(run))]
    assert labels == ["agent:none · movielens:1:7 · cooperative · hit at turn 2",
                      "popularity · movielens:1:7 · cooperative · missed (max_turns)"]
    with (run / "dialogues.jsonl").open("a") as sink:
        sink.write('{"system": "torn')  # a line still being written is left out
    assert len(runs.records(run)) == 2
    assert runs.running_metrics(tmp_path / "none") == "No dialogue has finished yet."


def test_a_report_loses_its_image_lines_and_names_its_plots(tmp_path):
    (tmp_path / "report.md").write_text("# Run\n\n![Success](success_by_turn.png)\n\ntable\n"
                                        "![Missing](gone.png)\n")
    (tmp_path / "success_by_turn.png").write_bytes(b"png")
    text, plots = runs.report(tmp_path)
    assert "![" not in text and "table" in text
    assert plots == [str(tmp_path / "success_by_turn.png")]
    assert "No report" in runs.report(tmp_path / "none")[0]


def test_training_curves_from_the_trainers_logs(tmp_path):
    rows = {"reward-model": [{"step": 1, "loss": 0.7, "accuracy": 0.5, "step_seconds": 12.0}],
            "policy": [{"step": 1, "loss": 0.1, "reward": 0.4, "rewards/success/mean": 0.5,
                        "step_seconds": 9.5, "peak_rss_mb": 4096.0}]}
    for folder, logged in rows.items():
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "train_log.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in logged))
    found = runs.training_rows(tmp_path)
    assert [r["stage"] for r in found] == ["reward_model", "grpo"]
    fig = runs.curves_figure(found)
    loss, reward, seconds = fig.axes[:3]
    assert [line.get_label() for line in loss.get_lines()] == ["reward model", "grpo"]
    assert {line.get_label() for line in reward.get_lines()} == {
        "reward model: accuracy", "grpo: reward", "grpo: success"}
    assert list(seconds.get_lines()[1].get_ydata()) == [9.5]
    assert runs.curves_figure([]) is None
    assert runs.last_step_line(found) == ("grpo step 1, loss 0.1, reward 0.4, success 0.5, "
                                          "9.5 s a step, peak 4,096 MiB")


def test_the_job_panel_says_where_a_job_is():
    job = Job(id="j1", kind="simulate", lane="eval", title="<b>x</b>", out="/runs/eval/x",
              state="running", started=100.0,
              status=Status(progress=Progress(stage="dialogues", label="dialogues", done=3,
                                              total=12, updated=130.0)))
    html = job_html(job, command="convrec simulate --out x", now=140.0)
    assert 'data-state="running"' in html and 'data-done="3"' in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html  # escaped
    assert '<progress max="12" value="3">' in html and "3 / 12" in html
    assert "about 1 min 30 s left" in html and "40 s" in html
    assert "Same as: <code>convrec simulate --out x</code>" in html
    queued = job.model_copy(update={"state": "queued", "started": None, "status": None})
    assert "1 ahead in the queue" in job_html(queued, position=1)
    failed = job.model_copy(update={"state": "failed", "message": "boom", "finished": 150.0})
    assert 'class="status-error job-message">boom' in job_html(failed)
    assert job_html(None).startswith('<div class="job-box" data-state="none">')
    assert jobs_table([failed], now=200.0)[0][1:4] == ["failed", "<b>x</b>", "50 s"]
