"""The page: the Chat tab (chat, cards with feedback buttons, side panels), the Evaluate and
Train tabs, and the wiring of every event to its handler."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from convrec.ui.api import ApiParts
from convrec.ui.assets import URL_JS
from convrec.ui.backends import KIND_LABELS
from convrec.ui.evaluate_tab import EvaluateTab
from convrec.ui.panels import MAX_CHIPS
from convrec.ui.session import ui_secret
from convrec.ui.train_tab import TrainTab
from convrec.ui.users import ANONYMOUS

FEEDBACK_KINDS = (("like", "Like"), ("reject", "Not for me"), ("seen", "Seen it"))

INTRO = """# convrec
Tell me what you feel like watching: a genre, a mood, an era, an actor or director, or a
film you loved. Every film shown comes from the catalog and fits everything you asked."""


def _on_session(fn: Callable[..., Any], *head: Any) -> Callable[..., Any]:
    """`fn(*head, session, request)` as an event handler of one input (the session): gradio
    hands a handler the request only when its own signature names it."""
    def handler(session: Any, request: gr.Request) -> Any:
        return fn(*head, session, request)
    return handler


def _on_entry(fn: Callable[..., Any], *head: Any) -> Callable[..., Any]:
    """`fn(*head, entry, session, request)` as an event handler of two inputs."""
    def handler(entry: Any, session: Any, request: gr.Request) -> Any:
        return fn(*head, entry, session, request)
    return handler


class Layout(ApiParts):
    """`build()`: the Gradio Blocks of the app, its components kept on the app."""

    def build(self) -> gr.Blocks:
        with gr.Blocks(title="convrec", fill_width=True) as demo:
            self.session = gr.State(None)
            self.browser_threads = gr.BrowserState(
                [], storage_key="convrec-threads", secret=ui_secret(self.settings))
            self.thread_box = gr.Textbox(visible="hidden", elem_id="thread-id")
            gr.Markdown(INTRO)
            self.evaluate_tab = EvaluateTab(self)
            self.train_tab = TrainTab(self)
            with gr.Tabs(elem_id="tabs"):
                with gr.Tab("Chat", id="chat-tab", elem_id="chat-tab"), \
                        gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        self._chat_column()
                    with gr.Column(scale=2, min_width=320):
                        self._side_panels()
                with gr.Tab("Evaluate", id="evaluate-tab", elem_id="evaluate-tab"):
                    self.evaluate_tab.build()
                with gr.Tab("Train", id="train-tab", elem_id="train-tab"):
                    self.train_tab.build()
            self._wire(demo)
            self.evaluate_tab.wire(demo)
            self.train_tab.wire(demo)
        return demo

    def _chat_column(self) -> None:
        self.chatbot = gr.Chatbot(
            elem_id="chat", height=460, label="Chat", feedback_options=None, buttons=["copy_all"],
            placeholder="Try: *a comedy from the 90s, nothing with Adam Sandler*",
        )
        with gr.Row():
            self.msg = gr.Textbox(elem_id="msg", show_label=False, scale=6, autofocus=True,
                                  placeholder="What do you feel like watching?", max_lines=4)
            self.send_btn = gr.Button("Send", variant="primary", elem_id="send", scale=1,
                                      min_width=80)
        self.status = gr.HTML(elem_id="status")
        self.policy_label = gr.HTML(elem_id="policy-label", padding=False)
        # Which turn the page shows, as data attributes: scripts (and the tests) wait on it.
        self.turn_marker = gr.HTML(elem_id="turn-marker", padding=False)
        self.cards_title = gr.Markdown("### Recommendations", visible=False,
                                       elem_id="cards-title")
        self.card_cols = []
        self.card_html = []
        self.card_buttons = []
        for i in range(self.card_slots):
            with gr.Column(visible=False, elem_id=f"card-{i}", elem_classes="card-slot",
                           variant="panel") as col:
                html = gr.HTML(elem_id=f"card-{i}-body")
                with gr.Row():
                    buttons = [gr.Button(label, size="sm", elem_id=f"card-{i}-{kind}",
                                         elem_classes=f"fb-{kind}")
                               for kind, label in FEEDBACK_KINDS]
            self.card_cols.append(col)
            self.card_html.append(html)
            self.card_buttons.append(buttons)

    def _side_panels(self) -> None:
        with gr.Accordion("Who am I", open=True, elem_id="panel-user"):
            self.user_dd = gr.Dropdown(
                choices=[("Anonymous (cold start)", ANONYMOUS)], value=ANONYMOUS,
                allow_custom_value=True, filterable=True, elem_id="user",
                label="Chat as", info="A dataset user turns on CF and profile personalisation "
                "(or type ml:<userId> / critic:<name>). Changing it starts a new chat.")
        with gr.Accordion("Constraints", open=True, elem_id="panel-ledger"):
            self.chips_note = gr.Markdown("No constraints yet.", elem_id="chips-note")
            with gr.Row(elem_id="chips"):
                self.chip_btns = [gr.Button(visible=False, size="sm", elem_id=f"chip-{i}",
                                            elem_classes="chip") for i in range(MAX_CHIPS)]
        with gr.Accordion("Sessions", open=False, elem_id="panel-sessions"):
            self.new_btn = gr.Button("New chat", elem_id="new-chat", size="sm")
            self.threads_dd = gr.Dropdown(choices=[], label="Earlier chats in this browser",
                                          elem_id="threads", interactive=True)
            self.resume_btn = gr.Button("Resume", elem_id="resume", size="sm")
        with gr.Accordion("Profile", open=True, elem_id="panel-profile"):
            self.profile = gr.HTML(elem_id="profile")
            self.entry_dd = gr.Dropdown(choices=[], label="Entry", elem_id="entry",
                                        interactive=True)
            with gr.Row():
                self.flip_btn = gr.Button("Flip like / dislike", size="sm", elem_id="entry-flip")
                self.delete_btn = gr.Button("Delete", size="sm", elem_id="entry-delete")
                self.restore_btn = gr.Button("Restore", size="sm", elem_id="entry-restore")
        with gr.Accordion("Settings", open=False, elem_id="panel-settings"):
            kinds = ["local", "openai", "none"] + (
                ["vllm"] if self.default_backend.kind == "vllm" else [])
            self.backend_radio = gr.Radio(
                choices=[(KIND_LABELS[k], k) for k in kinds], value=self.default_backend.kind,
                label="LLM backend", elem_id="backend")
            self.base_url = gr.Textbox(label="Base URL", elem_id="base-url",
                                       value=self.default_backend.base_url or "",
                                       placeholder="http://127.0.0.1:8000/v1")
            self.model = gr.Textbox(label="Model", elem_id="model",
                                    value=self.default_backend.model or "")
            self.api_key = gr.Textbox(label="API key (kept in this session only)",
                                      type="password", elem_id="api-key")
            self.apply_btn = gr.Button("Use this backend", elem_id="apply-backend", size="sm")
            self.health = gr.HTML(elem_id="health-box")

    # ------------------------------------------------------------------ wiring

    def _panel_outputs(self) -> list[Any]:
        return [self.cards_title, *self.card_cols, *self.card_html, self.chips_note,
                *self.chip_btns, self.profile, self.entry_dd]

    def _wire(self, demo: gr.Blocks) -> None:
        panels = self._panel_outputs()
        turn_outputs = [self.chatbot, self.msg, self.status, self.session, self.thread_box,
                        self.browser_threads, self.threads_dd, self.turn_marker, *panels]
        for trigger in (self.msg.submit, self.send_btn.click):
            trigger(self.send, [self.msg, self.chatbot, self.session, self.browser_threads],
                    turn_outputs, api_visibility="private", show_progress="hidden",
                    concurrency_limit=self.settings.ui_concurrency, concurrency_id="turn")
        demo.load(self.on_load, [self.browser_threads],
                  [self.session, self.chatbot, self.status, self.thread_box, self.user_dd,
                   self.threads_dd, self.health, self.turn_marker, self.policy_label, *panels],
                  api_visibility="private")
        self.thread_box.change(None, [self.thread_box], None, js=URL_JS)
        for i, buttons in enumerate(self.card_buttons):
            for (kind, _), button in zip(FEEDBACK_KINDS, buttons, strict=True):
                button.click(_on_session(self.feedback, i, kind), [self.session],
                             [self.card_html[i], self.status, self.session],
                             api_visibility="private")
        for i, chip in enumerate(self.chip_btns):
            chip.click(_on_session(self.remove_chip, i), [self.session],
                       [self.status, self.session, *panels], api_visibility="private")
        restart = [self.session, self.chatbot, self.status, self.thread_box, self.user_dd,
                   self.turn_marker, self.policy_label, *panels]
        self.user_dd.input(self.select_user, [self.user_dd, self.session], restart,
                           api_visibility="private")
        self.new_btn.click(self.new_chat, [self.session], restart, api_visibility="private")
        self.chatbot.clear(self.new_chat, [self.session], restart, api_visibility="private")
        self.resume_btn.click(self.resume, [self.threads_dd, self.browser_threads, self.session],
                              restart, api_visibility="private")
        for button, action in ((self.flip_btn, "flip"), (self.delete_btn, "delete"),
                               (self.restore_btn, "restore")):
            button.click(_on_entry(self.edit_entry, action), [self.entry_dd, self.session],
                         [self.status, self.profile, self.entry_dd], api_visibility="private")
        self.apply_btn.click(self.apply_backend,
                             [self.backend_radio, self.base_url, self.model, self.api_key,
                              self.session], [self.session, self.health, self.status],
                             api_visibility="private")
        # The app's API (gradio_client): one turn in, the reply and the cards out.
        gr.api(self.api_turn, api_name="turn", concurrency_id="turn",
               concurrency_limit=self.settings.ui_concurrency)
        gr.api(self.api_feedback, api_name="feedback", concurrency_id="feedback",
               concurrency_limit=self.settings.ui_concurrency)
