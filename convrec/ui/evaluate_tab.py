"""The Evaluate tab: start a simulated-user evaluation (one at a time per server, queued
otherwise) and watch it; browse run folders, their reports and any dialogue; compare two
runs with paired bootstrap intervals; run the ReDial benchmark.

Everything runs through `convrec.jobs` (the same library calls as `convrec simulate` and
`convrec eval redial`) and reads the run folders the CLI writes.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import gradio as gr

from convrec.errors import ConvrecError
from convrec.eval.compare import DEFAULT_COMPARE_METRICS, compare_markdown, compare_runs
from convrec.eval.runner import parse_personas
from convrec.jobs.store import ACTIVE
from convrec.ui import runs
from convrec.ui.accounts import login_of
from convrec.ui.evaluate_layout import EvaluateLayout
from convrec.ui.jobs_view import job_html, jobs_table
from convrec.ui.render import status_html


def default_name(prefix: str) -> str:
    return f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}"


class EvaluateTab(EvaluateLayout):
    """The Evaluate tab: its layout (`EvaluateLayout`), handlers and wiring."""

    # ------------------------------------------------------------------ wiring

    def wire(self, demo: gr.Blocks) -> None:
        form = [self.name, self.sources, self.split, self.n, self.baselines, self.backends,
                self.policy, self.simulator, self.personas, self.turns, self.seed, self.workers]
        self.start_btn.click(self.start, form, [self.status, self.job, self.name],
                             api_visibility="private")
        self.stop_btn.click(self.stop, None, [self.status, self.job], api_visibility="private")
        run_views = [self.report, self.plots, self.dialogue, self.dialogue_head, self.transcript]
        self.refresh_btn.click(self.refresh, [self.run], [self.run, self.run_a, self.run_b,
                                                          self.policy, self.history],
                               api_visibility="private")
        self.run.change(self.open_run, [self.run], run_views, api_visibility="private")
        self.dialogue.change(self.open_dialogue, [self.run, self.dialogue],
                             [self.dialogue_head, self.transcript], api_visibility="private")
        self.compare_btn.click(self.compare, [self.run_a, self.run_b, self.system_a,
                                              self.system_b], [self.compare_out],
                               api_visibility="private")
        self.rd_start.click(self.start_redial, [self.rd_limit, self.rd_systems],
                            [self.rd_status, self.job], api_visibility="private")
        self.timer.tick(self.tick, [self.seen, self.run],
                        [self.seen, self.job, self.metrics, self.history, self.run, self.run_a,
                         self.run_b, self.rd_report, *run_views],
                        api_visibility="private", show_progress="hidden")
        demo.load(self.on_load, None,
                  [self.name, self.run, self.run_a, self.run_b, self.policy, self.history,
                   self.rd_report, self.job], api_visibility="private")

    # ------------------------------------------------------------------ handlers

    def _run_lists(self, value: str | None = None, *, first: bool = False) -> dict[Any, Any]:
        """The three run pickers, listing every simulation run folder; the main one set to
        `value` (a folder no longer there: none), or to the newest with `first`."""
        choices = runs.choices(runs.simulation_runs(self.root), self.root)
        values = [v for _, v in choices]
        chosen = (values[0] if values else None) if first else (
            value if value in values else None)
        return {self.run: gr.update(choices=choices, value=chosen),
                self.run_a: gr.update(choices=choices), self.run_b: gr.update(choices=choices)}

    def _history(self) -> list[list[str]]:
        return jobs_table(self.jobs.jobs("eval")[:20])

    def _policy_choices(self) -> list[tuple[str, str]]:
        return [("hand-written rules", "rules"),
                *runs.choices(runs.checkpoints(self.root), self.root)]

    def _latest_redial(self) -> str:
        found = runs.redial_reports(self.root / "redial")
        if not found:
            return ("No ReDial run yet. The published figures appear beside ours in the "
                    "table once it has run.")
        return f"*{runs.label(found[0], self.root)}*\n\n" + runs.redial_report(found[0])

    def on_load(self) -> dict[Any, Any]:
        return {**self._run_lists(first=True), self.name: default_name("ui"),
                self.policy: gr.update(choices=self._policy_choices()),
                self.history: self._history(),
                self.rd_report: self._latest_redial(),
                self.job: self._job_html(self.jobs.current("eval"))}

    def start(self, name: str, sources: list[str], split: str, n: float | None,
              baselines: list[str], backends: list[str], policy: str | None, simulator: str,
              personas: str, turns: float | None, seed: float | None, workers: float | None,
              request: gr.Request | None = None) -> dict[Any, Any]:
        try:
            if not sources:
                raise ConvrecError("choose at least one scenario source")
            systems = [*baselines, *(f"agent:{b}" for b in backends)]
            if not systems:
                raise ConvrecError("choose at least one system: an agent backend or a baseline")
            params = {"name": name, "scenarios": [f"{s}:{split}" for s in sources],
                      "n": _int(n, "dialogues per source"), "systems": systems,
                      "max_turns": _int(turns, "turns"), "personas": parse_personas(personas),
                      "simulator": simulator, "seed": _int(seed, "seed"),
                      "policy": policy or "rules", "workers": _int(workers, "workers"),
                      "k": self.app.settings.agent_k}
            job = self.jobs.start("simulate", params, owner=login_of(request))
        except ConvrecError as exc:
            return {self.status: status_html(f"Not started: {exc}", "error")}
        position = self.jobs.queue_position(job)
        note = f"Queued behind {position} job(s)." if position else "Started."
        return {self.status: status_html(f"{note} {job.title}"), self.job: self._job_html(job),
                self.name: default_name("ui")}

    def stop(self, request: gr.Request | None = None) -> dict[Any, Any]:
        job = self.jobs.current("eval")
        if job is None or not job.active:
            return {self.status: status_html("No evaluation job is running.", "error")}
        login = login_of(request)
        try:
            job = self.jobs.stop(job.id, login=login, admin=self.app.accounts.is_admin(login))
        except ConvrecError as exc:
            return {self.status: status_html(str(exc), "error")}
        note = ("Cancelled." if job.state == "cancelled" else
                "Stopping after the dialogue in progress; finished dialogues are kept.")
        return {self.status: status_html(note), self.job: self._job_html(job)}

    def start_redial(self, limit: float | None, systems: list[str],
                     request: gr.Request | None = None) -> dict[Any, Any]:
        params = {"name": default_name("redial"), "systems": systems or [],
                  "limit": int(limit) if limit else None}
        try:
            job = self.jobs.start("redial", params, owner=login_of(request))
        except ConvrecError as exc:
            return {self.rd_status: status_html(f"Not started: {exc}", "error")}
        return {self.rd_status: status_html(f"Started: {job.title}. Progress shows above; the "
                                            "table appears here when it ends."),
                self.job: self._job_html(job)}

    def refresh(self, current: str | None) -> dict[Any, Any]:
        return {**self._run_lists(current), self.history: self._history(),
                self.policy: gr.update(choices=self._policy_choices())}

    def open_run(self, run: str | None) -> dict[Any, Any]:
        if not run:
            return {self.report: "", self.plots: [], self.dialogue: gr.update(choices=[],
                                                                                 value=None),
                    self.dialogue_head: "", self.transcript: []}
        folder = Path(run)
        text, plots = runs.report(folder)
        found = runs.records(folder)
        return {self.report: text, self.plots: plots,
                self.dialogue: gr.update(choices=runs.dialogue_choices(found), value=None),
                self.dialogue_head: "", self.transcript: []}

    def open_dialogue(self, run: str | None, index: str | None) -> dict[Any, Any]:
        if not run or index in (None, ""):
            return {self.dialogue_head: "", self.transcript: []}
        found = runs.records(Path(run))
        i = int(index or 0)
        if i >= len(found):
            return {self.dialogue_head: status_html("That dialogue is gone.", "error"),
                    self.transcript: []}
        head, messages = runs.transcript(found[i], self.app.pool.resources.catalog)
        return {self.dialogue_head: head, self.transcript: messages}

    def compare(self, run_a: str | None, run_b: str | None, system_a: str, system_b: str
                ) -> str:
        if not run_a or not run_b:
            return "Choose two runs (or one run twice, with a system of each)."
        a, b = runs.records(Path(run_a)), runs.records(Path(run_b))
        if not a or not b:
            return "One of the runs has no dialogue yet."
        try:
            rows = compare_runs(a, b, metrics=list(DEFAULT_COMPARE_METRICS), resamples=10_000,
                                seed=0, confidence=0.95, system_a=system_a.strip() or None,
                                system_b=system_b.strip() or None)
        except ValueError as exc:
            return f"Cannot compare: {exc}"
        if not rows:
            return ("The runs have no system in common: name one system of each "
                    "(e.g. agent:local and agent:none).")
        label_a = runs.label(Path(run_a), self.root) + (f" ({system_a})" if system_a else "")
        label_b = runs.label(Path(run_b), self.root) + (f" ({system_b})" if system_b else "")
        return compare_markdown(rows, label_a=label_a, label_b=label_b)

    def tick(self, seen: dict[str, Any] | None, run: str | None) -> dict[Any, Any]:
        """Every couple of seconds: the lane's job (the running one, else the newest), its
        running metrics, and, when it has just ended, its report."""
        seen = dict(seen or {})
        job = self.jobs.current("eval")
        if job is None:
            return {self.seen: seen} if seen.get("job") is None else {
                self.seen: {}, self.job: job_html(None)}
        updates: dict[Any, Any] = {}
        new_job = seen.get("job") != job.id
        changed = new_job or seen.get("state") != job.state
        # it ended since the last tick (or since this page last saw another job)
        ended = not job.active and (seen.get("state") in ACTIVE if not new_job
                                    else seen.get("job") is not None)
        if job.active or changed:
            updates[self.job] = self._job_html(job)
        if job.kind == "simulate":
            log = Path(job.out) / "dialogues.jsonl"
            size = log.stat().st_size if log.is_file() else 0
            if size != seen.get("size") or new_job:
                updates[self.metrics] = runs.running_metrics(Path(job.out))
            seen["size"] = size
        elif new_job:
            updates[self.metrics] = ""
        if ended or (job.active and changed):
            updates[self.history] = self._history()
        if ended and job.kind == "simulate" and (Path(job.out) / "dialogues.jsonl").is_file():
            updates.update(self._run_lists(job.out))
            if run == job.out:  # the dropdown keeps its value: show the report now
                updates.update(self.open_run(job.out))
        if ended and job.kind == "redial":
            updates[self.rd_report] = self._latest_redial()
        seen.update(job=job.id, state=job.state)
        updates[self.seen] = seen
        return updates


def _int(value: float | None, what: str) -> int:
    if value is None:
        raise ConvrecError(f"{what}: give a number")
    if float(value) != int(value):
        raise ConvrecError(f"{what}: give a whole number")
    return int(value)
