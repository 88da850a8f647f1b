"""The Evaluate tab's layout: the new-evaluation form, the job panel, the run views (report,
dialogues, compare) and the ReDial benchmark. `convrec.ui.evaluate_tab.EvaluateTab` adds the
handlers and the wiring.
"""

from __future__ import annotations

import os

import gradio as gr

from convrec.eval.redial import SYSTEMS as REDIAL_SYSTEMS
from convrec.eval.runner import SimulationConfig
from convrec.eval.scenarios import SOURCES
from convrec.eval.systems import BASELINES
from convrec.ui.jobs_view import JobTab, job_html

BACKENDS = (("embedded LLM (local)", "local"), ("templates only (none)", "none"),
            ("OpenAI-compatible endpoint (openai)", "openai"))
TICK_S = 2.0


class EvaluateLayout(JobTab):
    """The Evaluate tab's components (`build`), over the app's job manager."""

    def build(self) -> None:
        self.seen = gr.State({})
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=320):
                self._new_evaluation()
            with gr.Column(scale=3, min_width=360):
                self._job_panel()
        gr.Markdown("### Runs")
        with gr.Row():
            self.run = gr.Dropdown(choices=[], label="Run folder", elem_id="ev-run", scale=4,
                                   info="Every simulation run under runs/, the CLI's too")
            self.refresh_btn = gr.Button("Refresh", elem_id="ev-refresh", size="sm", scale=1)
        with gr.Tabs(elem_id="ev-views"):
            with gr.Tab("Report", id="ev-report-tab", elem_id="ev-report-tab"):
                self.report = gr.Markdown(elem_id="ev-report", max_height=520)
                self.plots = gr.Gallery(label="Plots", columns=3, height="auto",
                                        object_fit="contain", elem_id="ev-plots",
                                        allow_preview=True)
            with gr.Tab("Dialogues", id="ev-dialogues-tab", elem_id="ev-dialogues-tab"):
                self.dialogue = gr.Dropdown(choices=[], label="Dialogue", elem_id="ev-dialogue")
                self.dialogue_head = gr.HTML(elem_id="ev-dialogue-head")
                self.transcript = gr.Chatbot(label="Transcript", height=520,
                                             elem_id="ev-transcript", feedback_options=None)
            with gr.Tab("Compare", id="ev-compare-tab", elem_id="ev-compare-tab"):
                self._compare()
            with gr.Tab("ReDial benchmark", id="ev-redial-tab", elem_id="ev-redial-tab"):
                self._redial()
        self.timer = gr.Timer(TICK_S)

    def _new_evaluation(self) -> None:
        """The form of a new simulated-user evaluation."""
        personas = ",".join(f"{k}={v:g}" for k, v in SimulationConfig().personas.items())
        gr.Markdown("### New evaluation\nSimulated users with a hidden target film "
                    "talk to the chosen systems; every system meets the same users.")
        self.name = gr.Textbox(label="Run name", elem_id="ev-name",
                               info="The run folder: runs/eval/<name>. The same name "
                               "and options resume an unfinished run.")
        with gr.Row():
            self.sources = gr.CheckboxGroup(list(SOURCES), value=["movielens"],
                                            label="Scenario sources", elem_id="ev-sources")
            self.split = gr.Radio(["test", "dev"], value="test", label="Split",
                                  elem_id="ev-split")
        with gr.Row():
            self.n = gr.Number(20, precision=0, minimum=1, label="Dialogues per source",
                               elem_id="ev-n")
            self.turns = gr.Number(5, precision=0, minimum=1, maximum=10,
                                   label="Turns (T)", elem_id="ev-turns")
            self.seed = gr.Number(0, precision=0, label="Seed", elem_id="ev-seed")
        self.backends = gr.CheckboxGroup(
            [(label, value) for label, value in BACKENDS], value=["local"],
            label="Agent (by LLM backend)", elem_id="ev-backends")
        self.baselines = gr.CheckboxGroup(list(BASELINES), value=[], label="Baselines",
                                          elem_id="ev-baselines")
        self.policy = gr.Dropdown(choices=[("hand-written rules", "rules")],
                                  value="rules", label="Agent policy",
                                  elem_id="ev-policy", info="rules, or a checkpoint "
                                  "trained in the Train tab")
        with gr.Row():
            self.simulator = gr.Radio(
                [("template (fast, deterministic)", "template"),
                 ("paraphrase (everyday wording, typos)", "paraphrase"),
                 ("LLM phrases the user", "llm")], value="template",
                label="Simulator", elem_id="ev-simulator")
            self.workers = gr.Number(1, precision=0, minimum=1, label="Worker processes",
                                     elem_id="ev-workers",
                                     info=f"at most {os.cpu_count() or 1} (the cores)")
        self.personas = gr.Textbox(personas, label="Persona mix (weights)",
                                   elem_id="ev-personas")
        self.start_btn = gr.Button("Start evaluation", variant="primary",
                                   elem_id="ev-start")

    def _job_panel(self) -> None:
        """The lane's current job, its stop button, running metrics and recent jobs."""
        gr.Markdown("### Current evaluation job")
        self.job = gr.HTML(job_html(None), elem_id="ev-job")
        with gr.Row():
            self.stop_btn = gr.Button("Stop", elem_id="ev-stop", size="sm")
        self.status = gr.HTML(elem_id="ev-status")
        self.metrics = gr.Markdown(elem_id="ev-metrics")
        with gr.Accordion("Recent jobs", open=False):
            self.history = gr.Dataframe(headers=["started", "state", "job", "took",
                                                 "folder", "started by"], interactive=False,
                                        elem_id="ev-history", wrap=True)

    def _compare(self) -> None:
        """Two runs (or one system of each) side by side, paired by scenario."""
        gr.Markdown("B minus A, paired by scenario, with 95% bootstrap intervals "
                    "(`convrec eval compare`); * marks an interval that excludes 0.")
        with gr.Row():
            self.run_a = gr.Dropdown(choices=[], label="Run A (baseline)",
                                     elem_id="cmp-a")
            self.run_b = gr.Dropdown(choices=[], label="Run B", elem_id="cmp-b")
        with gr.Row():
            self.system_a = gr.Textbox(label="Only this system of A (optional)",
                                       elem_id="cmp-system-a")
            self.system_b = gr.Textbox(label="Only this system of B (optional)",
                                       elem_id="cmp-system-b")
        self.compare_btn = gr.Button("Compare", elem_id="cmp-go")
        self.compare_out = gr.Markdown(elem_id="cmp-out")

    def _redial(self) -> None:
        """The ReDial benchmark: a turn limit, the systems, and the latest report."""
        gr.Markdown("Recall@1/10/50 on ReDial's recommender turns, raw and with "
                    "mentioned films removed, beside the published figures "
                    "(`convrec eval redial`). It runs in the evaluation queue.")
        with gr.Row():
            self.rd_limit = gr.Number(None, precision=0, minimum=1,
                                      label="First N turns (empty: all)",
                                      elem_id="rd-limit")
            self.rd_systems = gr.CheckboxGroup(list(REDIAL_SYSTEMS),
                                               value=list(REDIAL_SYSTEMS),
                                               label="Systems", elem_id="rd-systems")
        self.rd_start = gr.Button("Run the ReDial benchmark", elem_id="rd-start")
        self.rd_status = gr.HTML(elem_id="rd-status")
        self.rd_report = gr.Markdown(elem_id="rd-report")
