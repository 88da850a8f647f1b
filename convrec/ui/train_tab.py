"""The Train tab: run the RL stages (collect, reward model, GRPO, eval) with a chosen config
as one background job (one training at a time), watch its loss, reward and success curves and
its step times, stop it cleanly, and see the before / after comparison when it ends. Below,
the policy checkpoints with their model cards; one click makes one the chat's policy.

The job is `convrec rl` (`convrec.rl.stages.run_stage`, the CLI's code path) in its own
process; the curves are read from the trainers' train_log.jsonl files.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import gradio as gr

from convrec.errors import ConvrecError
from convrec.rl.config import RlConfig
from convrec.ui import runs
from convrec.ui.accounts import login_of
from convrec.ui.evaluate_layout import TICK_S
from convrec.ui.evaluate_tab import default_name
from convrec.ui.jobs_view import JobTab, job_html
from convrec.ui.render import status_html

STAGE_LABELS = (("collect (dev users, every choice tried)", "collect"),
                ("reward model", "reward_model"), ("warm start + GRPO", "grpo"),
                ("eval (before / after on test users)", "eval"))
PRESETS = (("CPU defaults (about 50 min on 2 cores)", "default"),
           ("small (a few steps: a smoke test)", "small"))


def preset_yaml(preset: str) -> str:
    return (RlConfig.small() if preset == "small" else RlConfig()).to_yaml()


class TrainTab(JobTab):
    """Layout and handlers of the Train tab, over the app's job manager."""

    # ------------------------------------------------------------------ layout

    def build(self) -> None:
        self.seen = gr.State({})
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=320):
                gr.Markdown("### Retrain the dialogue policy\nCollect simulated dialogues on "
                            "dev users, train a reward model, warm-start and run GRPO, then "
                            "compare the policies on held-out test users.")
                self.name = gr.Textbox(label="Run name", elem_id="tr-name",
                                       info="The run folder: runs/rl/<name>")
                self.preset = gr.Radio([(label, value) for label, value in PRESETS],
                                       value="default", label="Config preset",
                                       elem_id="tr-preset")
                self.stages = gr.CheckboxGroup([(label, value) for label, value in STAGE_LABELS],
                                               value=[v for _, v in STAGE_LABELS],
                                               label="Stages", elem_id="tr-stages")
                self.config = gr.Code(preset_yaml("default"), language="yaml",
                                      label="Config (YAML: collect, reward_model, grpo, eval)",
                                      elem_id="tr-config", lines=14, max_lines=30)
                with gr.Row():
                    self.start_btn = gr.Button("Start training", variant="primary",
                                               elem_id="tr-start")
                    self.stop_btn = gr.Button("Stop (keep the checkpoint so far)",
                                              elem_id="tr-stop")
                self.status = gr.HTML(elem_id="tr-status")
            with gr.Column(scale=3, min_width=360):
                gr.Markdown("### Current training job")
                self.job = gr.HTML(job_html(None), elem_id="tr-job")
                self.curves = gr.Plot(label="Training curves", elem_id="tr-curves",
                                      format="png")
                self.result = gr.Markdown(elem_id="tr-compare", max_height=480)
                self.result_plot = gr.Image(label="Training and evaluation", visible=False,
                                            elem_id="tr-plot", show_label=True)
        gr.Markdown("### Policy checkpoints")
        with gr.Row():
            self.checkpoint = gr.Dropdown(choices=[], label="Checkpoint", elem_id="tr-ckpt",
                                          scale=4)
            self.refresh_btn = gr.Button("Refresh", size="sm", elem_id="tr-refresh", scale=1)
        with gr.Row():
            self.use_btn = gr.Button("Use this policy in the chat (new chats)",
                                     variant="primary", elem_id="tr-use")
            self.rules_btn = gr.Button("Use the hand-written rules", elem_id="tr-rules")
        self.active = gr.HTML(elem_id="tr-active")
        self.card = gr.Markdown(elem_id="tr-card", max_height=480)
        self.timer = gr.Timer(TICK_S)

    # ------------------------------------------------------------------ wiring

    def wire(self, demo: gr.Blocks) -> None:
        self.preset.input(preset_yaml, [self.preset], [self.config], api_visibility="private")
        self.start_btn.click(self.start, [self.name, self.preset, self.stages, self.config],
                             [self.status, self.job, self.name, self.seen],
                             api_visibility="private")
        self.stop_btn.click(self.stop, None, [self.status, self.job], api_visibility="private")
        self.refresh_btn.click(self.refresh, [self.checkpoint], [self.checkpoint, self.active],
                               api_visibility="private")
        self.checkpoint.change(self.open_checkpoint, [self.checkpoint], [self.card],
                               api_visibility="private")
        self.use_btn.click(self.use_checkpoint, [self.checkpoint], [self.status, self.active],
                           api_visibility="private")
        self.rules_btn.click(self.use_rules, None, [self.status, self.active],
                             api_visibility="private")
        self.timer.tick(self.tick, [self.seen, self.checkpoint],
                        [self.seen, self.job, self.curves, self.result,
                         self.result_plot, self.checkpoint, self.card],
                        api_visibility="private", show_progress="hidden")
        demo.load(self.on_load, None, [self.name, self.checkpoint, self.active, self.job],
                  api_visibility="private")

    # ------------------------------------------------------------------ handlers

    def _checkpoint_choices(self) -> list[tuple[str, str]]:
        return runs.choices(runs.checkpoints(self.root), self.root)

    def _active_html(self) -> str:
        name = escape(self.app.policy_name(self.app.active_policy))
        return (f'<div id="active-policy" data-policy="{name}">The chat answers new chats '
                f"with: <b>{name}</b></div>")

    def on_load(self) -> dict[Any, Any]:
        choices = self._checkpoint_choices()
        return {self.name: default_name("rl"),
                self.checkpoint: gr.update(choices=choices),
                self.active: self._active_html(),
                self.job: self._job_html(self.jobs.current("train"))}

    def start(self, name: str, preset: str, stages: list[str], config: str,
              request: gr.Request | None = None) -> dict[Any, Any]:
        try:
            job = self.jobs.start("rl", {"name": name, "config": config or "",
                                         "small": preset == "small", "stages": stages or []},
                                  owner=login_of(request))
        except ConvrecError as exc:
            return {self.status: status_html(f"Not started: {exc}", "error")}
        return {self.status: status_html(f"Started: {job.title}."),
                self.job: self._job_html(job), self.name: default_name("rl"), self.seen: {}}

    def stop(self, request: gr.Request | None = None) -> dict[Any, Any]:
        job = self.jobs.current("train")
        if job is None or not job.active:
            return {self.status: status_html("No training job is running.", "error")}
        login = login_of(request)
        try:
            job = self.jobs.stop(job.id, login=login, admin=self.app.accounts.is_admin(login))
        except ConvrecError as exc:
            return {self.status: status_html(str(exc), "error")}
        return {self.status: status_html("Stopping: the trainer saves after the step it is in; "
                                         "the checkpoint so far stays loadable."),
                self.job: self._job_html(job)}

    def refresh(self, current: str | None) -> dict[Any, Any]:
        choices = self._checkpoint_choices()
        values = {v for _, v in choices}
        return {self.checkpoint: gr.update(choices=choices,
                                           value=current if current in values else None),
                self.active: self._active_html()}

    def open_checkpoint(self, folder: str | None) -> str:
        return runs.policy_card(Path(folder)) if folder else ""

    def use_checkpoint(self, folder: str | None) -> dict[Any, Any]:
        if not folder:
            return {self.status: status_html("Pick a checkpoint first.", "error")}
        try:
            self.app.set_policy(Path(folder))
        except ConvrecError as exc:
            return {self.status: status_html(str(exc), "error")}
        return {self.status: status_html(
            f"New chats now answer with {self.app.policy_name(Path(folder))}; open the Chat "
            "tab and start a new chat."), self.active: self._active_html()}

    def use_rules(self) -> dict[Any, Any]:
        self.app.set_policy(None)
        return {self.status: status_html("New chats now answer with the hand-written rules."),
                self.active: self._active_html()}

    def tick(self, seen: dict[str, Any] | None, checkpoint: str | None) -> dict[Any, Any]:
        """Every couple of seconds: the training job (the running one, else the newest), its
        curves when a trainer logged a step, and its results when it has just ended."""
        seen = dict(seen or {})
        job = self.jobs.current("train")
        if job is None:
            return {self.seen: seen}
        run = Path(job.out)
        updates: dict[Any, Any] = {}
        logs = tuple(_size(run / folder / "train_log.jsonl") for _, folder in runs.STAGE_FOLDERS)
        new_job = seen.get("job") != job.id
        changed = new_job or seen.get("state") != job.state
        if new_job or logs != tuple(seen.get("logs") or ()):  # a trainer logged a step
            rows = runs.training_rows(run)
            updates[self.curves] = runs.curves_figure(rows)
            seen["detail"] = runs.last_step_line(rows)
        if job.active or changed:
            updates[self.job] = self._job_html(job, seen.get("detail", ""))
        compare = run / "eval" / "compare.md"
        if changed:
            if not job.active and compare.is_file():
                plot = run / "eval" / "training.png"
                updates[self.result] = ("#### Before / after on held-out test users\n\n"
                                        + compare.read_text(encoding="utf-8"))
                updates[self.result_plot] = gr.update(
                    value=str(plot) if plot.is_file() else None, visible=plot.is_file())
            else:
                updates[self.result] = ""
                updates[self.result_plot] = gr.update(value=None, visible=False)
            if not job.active and not new_job:  # it just ended: its checkpoints appear
                choices = self._checkpoint_choices()
                values = {v for _, v in choices}
                newest = next((str(run / f) for f in ("policy", "warm-start")
                               if str(run / f) in values), checkpoint)
                updates[self.checkpoint] = gr.update(choices=choices, value=newest)
                updates[self.card] = self.open_checkpoint(newest)
        seen.update(job=job.id, state=job.state, logs=list(logs))
        updates[self.seen] = seen
        return updates


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
