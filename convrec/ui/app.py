"""The browser app: chat with the recommender, with cards, feedback, the ledger, the
user's profile, sessions and the LLM backend, each in its own panel.

`ChatApp(settings).build()` returns the Gradio Blocks; `launch(settings)` serves it
(`convrec ui`). Importing this module loads no model and no index: the agent pool is
created, and warmed up, by `launch` or on the first event.

Isolation: everything a visitor does lives in their session's state (`UiSession`: the
thread, the user, the backend). The only thing kept in the browser is the list of that
browser's own threads (BrowserState, encrypted) and the open thread in the page URL, so a
reload resumes it; a thread id is resumed only when this browser opened it.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import logging
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from html import escape
from pathlib import Path
from typing import Any

import gradio as gr

from convrec.agent.ledger import Ledger
from convrec.config import Settings, get_settings
from convrec.errors import ConvrecError
from convrec.ui.backends import KIND_LABELS, AgentPool, BackendChoice
from convrec.ui.evaluate_tab import EvaluateTab
from convrec.ui.ratelimit import RateLimiter
from convrec.ui.render import (
    card_html,
    entry_choices,
    health_html,
    profile_html,
    status_html,
)
from convrec.ui.train_tab import TrainTab
from convrec.ui.users import ANONYMOUS, resolve_user, user_choices

log = logging.getLogger(__name__)

MAX_CHIPS = 16
MAX_BROWSER_THREADS = 30
FEEDBACK_KINDS = (("like", "Like"), ("reject", "Not for me"), ("seen", "Seen it"))

CSS = """
.rec-card { padding: 4px 2px; }
.rec-title { font-size: 1.1em; font-weight: 600; }
.rec-year, .rec-pos { color: var(--body-text-color-subdued); font-weight: 400; }
.rec-facts, .rec-people { font-size: 0.9em; color: var(--body-text-color-subdued); }
.rec-overview { font-size: 0.9em; margin: 4px 0; }
.rec-reason { font-size: 0.92em; margin: 4px 0; }
.rec-feedback { font-weight: 600; }
.rec-card[data-feedback="reject"] { opacity: 0.55; }
.status-error { color: #b91c1c; font-weight: 600; }
.status-warning { color: #b45309; font-weight: 600; }
.status-info { color: var(--body-text-color-subdued); }
.chip button, button.chip { border-radius: 999px !important; }
.profile-entry summary { cursor: pointer; }
.profile-kind { font-size: 0.8em; color: var(--body-text-color-subdued); }
.profile-edited { font-size: 0.8em; color: #b45309; }
.profile-provenance { font-size: 0.85em; margin: 2px 0 6px 18px; }
.job-box { padding: 8px; border: 1px solid var(--border-color-primary); border-radius: 8px; }
.job-box progress { width: 60%; vertical-align: middle; }
.job-state, .job-stages, .job-detail { font-size: 0.92em; margin: 2px 0; }
.job-command { font-size: 0.8em; color: var(--body-text-color-subdued); margin-top: 6px; }
.job-failed, .job-interrupted { color: #b91c1c; font-weight: 600; }
.job-done { color: #15803d; font-weight: 600; }
.dialogue-target { margin: 4px 0; }
#policy-label { font-size: 0.85em; color: var(--body-text-color-subdued); }
"""

# After the thread changes, put it in the URL (?thread=...) so a reload resumes it.
URL_JS = """(thread) => {
  if (thread) {
    const url = new URL(window.location.href);
    url.searchParams.set("thread", thread);
    window.history.replaceState(null, "", url);
  }
  return [];
}"""

INTRO = """# convrec
Tell me what you feel like watching: a genre, a mood, an era, an actor or director, or a
film you loved. Every film shown comes from the catalog and fits everything you asked."""


@dataclass
class UiSession:
    """One browser session's state: never shared with another session."""

    thread_id: str
    backend: BackendChoice
    user_id: str | None = None
    cards: list[dict[str, Any]] = field(default_factory=list)
    feedback: dict[int, str] = field(default_factory=dict)
    chip_keys: list[str] = field(default_factory=list)
    policy: Path | None = None
    """The dialogue policy checkpoint answering this chat (None: the hand-written rules); the
    app's active policy when the session began."""


def turn_marker(thread_id: str, turn: int) -> str:
    return f'<span class="turn-marker" data-thread="{thread_id}" data-turn="{int(turn)}"></span>'


def new_thread_id() -> str:
    return f"web-{uuid.uuid4().hex}"


def client_key(request: gr.Request | None) -> str:
    """Whom the rate limit counts: the signed-in user, else the client address."""
    if request is None:
        return "local"
    if getattr(request, "username", None):
        return f"user:{request.username}"
    client = getattr(request, "client", None)
    return f"ip:{getattr(client, 'host', None) or 'unknown'}"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


def _ui_secret(settings: Settings) -> str:
    """The key that encrypts the browser's thread list, kept in HOME so it survives restarts."""
    path = Path(settings.home) / "ui_secret"
    try:
        if path.is_file():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_hex(32)
        path.write_text(value)
        path.chmod(0o600)
        return value
    except OSError:
        return secrets.token_hex(32)


class ChatApp:
    """The handlers and layout of the browser app over one `AgentPool`."""

    def __init__(self, settings: Settings | None = None, *, pool: AgentPool | None = None,
                 backend: BackendChoice | None = None) -> None:
        self.settings = settings or get_settings()
        self._pool = pool
        self.default_backend = backend or BackendChoice.from_settings(self.settings)
        self.limiter = RateLimiter(self.settings.ui_rate_limit)
        self.k = self.settings.agent_k
        self._users: list[tuple[str, str]] | None = None
        self._jobs: Any = None
        self.active_policy: Path | None = self._saved_policy()

    # ------------------------------------------------------------------ shared parts

    @property
    def pool(self) -> AgentPool:
        if self._pool is None:
            self._pool = AgentPool(self.settings)
        return self._pool

    @property
    def jobs(self) -> Any:
        """The server's background jobs (evaluations, ReDial, training)."""
        if self._jobs is None:
            from convrec.jobs.manager import JobManager

            self._jobs = JobManager(self.settings)
        return self._jobs

    # The policy new chats answer with, chosen in the Train tab, kept in HOME across restarts.

    def _policy_file(self) -> Path:
        return Path(self.settings.home) / "ui_policy.json"

    def _saved_policy(self) -> Path | None:
        import json

        try:
            saved = json.loads(self._policy_file().read_text()).get("policy")
        except (OSError, ValueError, AttributeError):
            saved = None
        # a policy named by the settings (--policy, CONVREC_AGENT_POLICY_PATH) comes first
        chosen = self.settings.agent_policy_path or (Path(saved) if saved else None)
        return chosen if chosen and (chosen / "config.json").is_file() else None

    def set_policy(self, folder: Path | None) -> None:
        """Make `folder` (a checkpoint written by convrec rl grpo; None: the rules) the policy
        of new chats."""
        import json

        if folder is not None:
            folder = folder.resolve()
            if not (folder / "config.json").is_file() or not (folder / "policy.json").is_file():
                raise ConvrecError(f"no policy checkpoint at {folder}")
            try:  # load it now: a broken checkpoint is refused here, not in a chat
                _ = self.pool.agent(self.default_backend, folder).policy
            except ConvrecError:
                raise
            except Exception as exc:
                raise ConvrecError(f"cannot load the policy at {folder}: "
                                   f"{_one_line(exc)}") from None
        self.active_policy = folder
        self._policy_file().parent.mkdir(parents=True, exist_ok=True)
        self._policy_file().write_text(json.dumps({"policy": str(folder) if folder else None}))

    def policy_name(self, folder: Path | None) -> str:
        """'hand-written rules', or the checkpoint's folder under the runs folder."""
        if folder is None:
            return "hand-written rules"
        runs_dir = Path(self.settings.runs_dir).resolve()
        try:
            return str(folder.resolve().relative_to(runs_dir))
        except ValueError:
            return str(folder)

    def _policy_html(self, session: UiSession) -> str:
        name = escape(self.policy_name(session.policy))
        return (f'<span class="policy-label" data-policy="{name}">Dialogue policy of this '
                f"chat: {name}</span>")

    def _store(self) -> Any:
        from convrec.tools.context import ToolContext
        from convrec.tools.profile import load_profiles

        return load_profiles(ToolContext(self.pool.resources))

    def users(self) -> list[tuple[str, str]]:
        if self._users is None:
            self._users = user_choices(self._store())
        return self._users

    def _reader(self) -> Any:
        return self.pool.any_agent()

    def _new_session(self, user_id: str | None = None,
                     backend: BackendChoice | None = None) -> UiSession:
        return UiSession(thread_id=new_thread_id(), backend=backend or self.default_backend,
                         user_id=user_id, policy=self.active_policy)

    # ------------------------------------------------------------------ layout

    def build(self) -> gr.Blocks:
        with gr.Blocks(title="convrec", fill_width=True) as demo:
            self.session = gr.State(None)
            self.browser_threads = gr.BrowserState(
                [], storage_key="convrec-threads", secret=_ui_secret(self.settings))
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
        self.card_cols: list[gr.Column] = []
        self.card_html: list[gr.HTML] = []
        self.card_buttons: list[list[gr.Button]] = []
        for i in range(self.k):
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
                button.click(partial(self.feedback, i, kind), [self.session],
                             [self.card_html[i], self.status, self.session],
                             api_visibility="private")
        for i, chip in enumerate(self.chip_btns):
            chip.click(partial(self.remove_chip, i), [self.session],
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
            button.click(partial(self.edit_entry, action), [self.entry_dd, self.session],
                         [self.status, self.profile, self.entry_dd], api_visibility="private")
        self.apply_btn.click(self.apply_backend,
                             [self.backend_radio, self.base_url, self.model, self.api_key,
                              self.session], [self.session, self.health, self.status],
                             api_visibility="private")
        # The app's API (gradio_client): one turn in, the reply and the cards out.
        gr.api(self.api_turn, api_name="turn", concurrency_id="turn",
               concurrency_limit=self.settings.ui_concurrency)

    # ------------------------------------------------------------------ panels

    def _panels(self, session: UiSession, ledger: Ledger) -> dict[Any, Any]:
        """The cards, the chips of `ledger` (the thread's, as the caller has it) and the
        profile."""
        updates: dict[Any, Any] = {}
        updates.update(self._cards(session))
        updates.update(self._chips(session, ledger))
        updates.update(self._profile(session))
        return updates

    def _cards(self, session: UiSession) -> dict[Any, Any]:
        updates: dict[Any, Any] = {self.cards_title: gr.update(visible=bool(session.cards))}
        for i in range(self.k):
            if i < len(session.cards):
                card = session.cards[i]
                updates[self.card_cols[i]] = gr.update(visible=True)
                updates[self.card_html[i]] = card_html(
                    card, i + 1, session.feedback.get(int(card["item_id"])))
            else:
                updates[self.card_cols[i]] = gr.update(visible=False)
                updates[self.card_html[i]] = ""
        return updates

    def _chips(self, session: UiSession, ledger: Ledger) -> dict[Any, Any]:
        chips = ledger.chips()
        session.chip_keys = [c.key for c in chips[:MAX_CHIPS]]
        updates: dict[Any, Any] = {}
        for i, button in enumerate(self.chip_btns):
            if i < len(chips):
                updates[button] = gr.update(value=f"{chips[i].label}  ✕", visible=True)
            else:
                updates[button] = gr.update(visible=False)
        if not chips:
            note = "No constraints yet."
        else:
            note = "Click a constraint to drop it; the next answer plans without it."
            if len(chips) > MAX_CHIPS:
                note += " Also: " + ", ".join(c.label for c in chips[MAX_CHIPS:])
        updates[self.chips_note] = note
        return updates

    def _profile(self, session: UiSession) -> dict[Any, Any]:
        from convrec.tools.context import ToolContext
        from convrec.tools.profile import profile_entries

        if session.user_id is None:
            return {self.profile: profile_html(None, []),
                    self.entry_dd: gr.update(choices=[], value=None)}
        entries, note = profile_entries(ToolContext(self.pool.resources, session.user_id))
        return {self.profile: profile_html(session.user_id, entries, note),
                self.entry_dd: gr.update(choices=entry_choices(entries), value=None)}

    def _restart(self, session: UiSession, status: str = "", level: str = "info",
                 state: dict[str, Any] | None = None) -> dict[Any, Any]:
        """Every output of a (re)started session: chat, panels, thread, user. `state` is the
        thread's saved state when the caller has read it already."""
        if state is None:
            state = self._reader().state(session.thread_id)
        history = [{"role": m["role"], "content": m["text"]}
                   for m in state.get("history") or [] if m.get("role") in ("user", "assistant")]
        updates = {self.session: session, self.chatbot: history,
                   self.status: status_html(status, level), self.thread_box: session.thread_id,
                   self.turn_marker: turn_marker(session.thread_id, state.get("turn", 0)),
                   self.policy_label: self._policy_html(session),
                   self.user_dd: gr.update(value=session.user_id or ANONYMOUS,
                                           choices=self.users())}
        updates.update(self._panels(session, Ledger.model_validate(state.get("ledger") or {})))
        return updates

    @staticmethod
    def _thread_choices(threads: list[dict[str, Any]]) -> list[tuple[str, str]]:
        return [(f"{t.get('at', '')[:16].replace('T', ' ')} · {t.get('title') or 'new chat'}"
                 f" · {t.get('user') or 'anonymous'}", t["id"]) for t in threads if t.get("id")]

    # ------------------------------------------------------------------ events

    def on_load(self, threads: list[dict[str, Any]] | None, request: gr.Request
                ) -> dict[Any, Any]:
        """A page (re)load: resume the thread in the URL when this browser opened it."""
        threads = list(threads or [])
        wanted = (request.query_params.get("thread") if request else None) or ""
        session = self._new_session()
        status = ""
        state: dict[str, Any] = {}
        if wanted and any(t.get("id") == wanted for t in threads):
            state = self._reader().state(wanted)
            if state:
                session = self._resumed(wanted, state)
                status = "Resumed your chat."
        updates = self._restart(session, status, state=state)
        updates[self.threads_dd] = gr.update(choices=self._thread_choices(threads), value=None)
        health = self.pool.health(session.backend)
        updates[self.health] = health_html(health.ok, session.backend.label(), health.detail)
        return updates

    def _resumed(self, thread_id: str, state: dict[str, Any]) -> UiSession:
        session = self._new_session(user_id=state.get("user_id"))
        session.thread_id = thread_id
        session.cards = list(state.get("cards") or [])
        ledger = Ledger.model_validate(state.get("ledger") or {})
        for kind, ids in (("like", ledger.liked), ("reject", ledger.rejected),
                          ("seen", ledger.seen)):
            for item_id in ids:
                session.feedback[int(item_id)] = kind
        return session

    def send(self, message: str, history: list[dict[str, Any]] | None,
             session: UiSession | None, threads: list[dict[str, Any]] | None,
             request: gr.Request) -> Iterator[dict[Any, Any]]:
        """One chat turn, streamed: the plan and tool trace as a collapsible step, then the
        reply as it is written, then the cards and the ledger."""
        session = session or self._new_session()
        history = list(history or [])
        text = (message or "").strip()
        if not text:
            yield {self.status: status_html("Type a message first: what would you like to "
                                            "watch?", "error")}
            return
        wait = self.limiter.hit(client_key(request))
        if wait:
            yield {self.status: status_html(
                f"Too many messages: please wait {wait:.0f} s before sending another "
                f"(limit {self.limiter.per_minute} a minute). Your message is kept.", "error")}
            return
        agent, warning = self._agent_for(session)
        step: dict[str, Any] = {"role": "assistant", "content": "",
                                "metadata": {"title": "Working on it…", "status": "pending"}}
        reply: dict[str, Any] = {"role": "assistant", "content": ""}
        history += [{"role": "user", "content": text}, step, reply]
        yield {self.chatbot: history, self.msg: "",
               self.status: status_html(warning, "warning")}
        lines: list[str] = [f"policy: {self.policy_name(session.policy)}"]
        started = time.perf_counter()
        result = None
        try:
            for event in agent.stream(text, thread_id=session.thread_id,
                                      user_id=session.user_id):
                kind = event["event"]
                if kind == "ledger":
                    chips = ", ".join(event["chips"]) or "no constraints"
                    lines.append(f"understood: {chips} ({event['candidates']:,} films fit)")
                elif kind == "act":
                    lines.append(f"decided: {event['act'].replace('_', ' ')}")
                elif kind == "plan":
                    step["metadata"]["title"] = f"Plan: {event['plan']}"
                elif kind == "tool":
                    lines.append(event["line"])
                elif kind == "token":
                    reply["content"] += event["text"]
                elif kind == "reset":
                    reply["content"] = ""
                elif kind == "final":
                    result = event["result"]
                    continue
                else:
                    continue
                step["content"] = "\n".join(f"- {line}" for line in lines)
                yield {self.chatbot: history}
        except ConvrecError as exc:
            yield self._failed(history, text, _one_line(exc))
            return
        except Exception as exc:
            log.exception("turn failed")
            yield self._failed(history, text, f"something went wrong on our side "
                                              f"({type(exc).__name__}: {_one_line(exc)})")
            return
        assert result is not None
        reply["content"] = result.reply
        trace = [lines[0], *result.trace] if result.trace else lines
        step["content"] = "\n".join(f"- {line}" for line in trace)
        step["metadata"]["status"] = "done"
        step["metadata"]["duration"] = round(time.perf_counter() - started, 2)
        if not result.plan:
            step["metadata"]["title"] = f"Decided: {result.act.replace('_', ' ') or 'reply'}"
        session.cards = list(result.cards)
        session.feedback = {}
        threads = self._remember(threads, session, text)
        updates = {self.chatbot: history, self.session: session,
                   self.thread_box: session.thread_id, self.browser_threads: threads,
                   self.threads_dd: gr.update(choices=self._thread_choices(threads)),
                   self.status: status_html(warning, "warning"),
                   self.turn_marker: turn_marker(session.thread_id, result.turn)}
        updates.update(self._panels(session, Ledger.model_validate(result.ledger)))
        yield updates

    def _failed(self, history: list[dict[str, Any]], text: str, why: str) -> dict[Any, Any]:
        """Take the unanswered turn out of the chat and put the message back in the box."""
        return {self.chatbot: history[:-3], self.msg: text,
                self.status: status_html(f"Could not answer: {why}. Your message is kept.",
                                         "error")}

    def _agent_for(self, session: UiSession) -> tuple[Any, str]:
        """The session's agent, or the template agent (and why) while its endpoint is down."""
        choice = session.backend
        if choice.kind == "openai":
            health = self.pool.health(choice)
            if not health.ok:
                return self.pool.templates(session.policy), (
                    f"The LLM endpoint ({choice.label()}) is not answering: {health.detail}. "
                    "This reply was written from templates.")
        return self.pool.agent(choice, session.policy), ""

    @staticmethod
    def _remember(threads: list[dict[str, Any]] | None, session: UiSession, text: str
                  ) -> list[dict[str, Any]]:
        """This browser's threads, most recent first, the current one updated."""
        threads = [dict(t) for t in threads or [] if isinstance(t, dict) and t.get("id")]
        old = next((t for t in threads if t["id"] == session.thread_id), None)
        entry = {"id": session.thread_id, "user": session.user_id,
                 "title": (old or {}).get("title") or text[:60],
                 "at": datetime.now(UTC).isoformat(timespec="seconds")}
        rest = [t for t in threads if t["id"] != session.thread_id]
        return [entry, *rest][:MAX_BROWSER_THREADS]

    def feedback(self, slot: int, kind: str, session: UiSession | None) -> dict[Any, Any]:
        if session is None or slot >= len(session.cards):
            return {self.status: status_html("That card is gone: ask for new films.", "error")}
        card = session.cards[slot]
        item_id = int(card["item_id"])
        try:
            self._reader().feedback(session.thread_id, item_id, kind, source="ui")
        except ConvrecError as exc:
            return {self.status: status_html(str(exc), "error")}
        session.feedback[item_id] = kind
        done = {"like": "liked", "reject": "not for you", "seen": "seen"}[kind]
        return {self.card_html[slot]: card_html(card, slot + 1, kind), self.session: session,
                self.status: status_html(f"Noted: {card['title']} is {done}.")}

    def remove_chip(self, slot: int, session: UiSession | None) -> dict[Any, Any]:
        if session is None or slot >= len(session.chip_keys):
            return {self.status: status_html("That constraint is gone already.", "error")}
        key = session.chip_keys[slot]
        reader = self._reader()
        try:
            ledger = reader.remove_constraint(session.thread_id, key)
        except ConvrecError as exc:
            updates = self._chips(session, reader.ledger(session.thread_id))
            updates[self.status] = status_html(str(exc), "error")
            return updates
        updates = {self.session: session, self.status: status_html(
            "Dropped that constraint: the next answer plans without it.")}
        updates.update(self._chips(session, ledger))
        return updates

    def select_user(self, value: str | None, session: UiSession | None) -> dict[Any, Any]:
        session = session or self._new_session()
        try:
            user_id = resolve_user(value, self.pool.resources.catalog)
        except ConvrecError as exc:
            updates = self._restart(session, str(exc), "error")
            return updates
        if user_id == session.user_id:
            return {self.status: ""}
        fresh = self._new_session(user_id=user_id, backend=session.backend)
        who = user_id or "anonymous"
        return self._restart(fresh, f"Now chatting as {who}: a new chat started.", state={})

    def new_chat(self, session: UiSession | None) -> dict[Any, Any]:
        old = session or self._new_session()
        return self._restart(self._new_session(user_id=old.user_id, backend=old.backend),
                             "A new chat: the constraints are cleared.", state={})

    def resume(self, thread_id: str | None, threads: list[dict[str, Any]] | None,
               session: UiSession | None) -> dict[Any, Any]:
        current = session or self._new_session()
        if not thread_id:
            return self._restart(current, "Pick an earlier chat first.", "error")
        if not any(t.get("id") == thread_id for t in threads or []):
            return self._restart(current, "That chat was not opened in this browser.", "error")
        state = self._reader().state(thread_id)
        if not state:
            return self._restart(current, "That chat has no saved turns.", "error")
        resumed = self._resumed(thread_id, state)
        resumed.backend = current.backend
        return self._restart(resumed, "Resumed an earlier chat.", state=state)

    def edit_entry(self, action: str, key: str | None, session: UiSession | None
                   ) -> dict[Any, Any]:
        session = session or self._new_session()
        if session.user_id is None:
            return {self.status: status_html("Anonymous chats have no profile to edit.",
                                             "error")}
        if not key:
            return {self.status: status_html("Pick a profile entry first.", "error")}
        store = self._store()
        try:
            if action == "flip":
                entry = store.flip_entry(session.user_id, key)
                done = f"Flipped: you now {entry.polarity} {entry.value}."
            elif action == "delete":
                entry = store.delete_entry(session.user_id, key)
                done = f"Deleted {entry.value} from your profile."
            else:
                entry = store.restore_entry(session.user_id, key)
                done = f"Restored {entry.value} as extracted ({entry.polarity})."
        except Exception as exc:  # ToolArgumentError and friends: one line
            return {self.status: status_html(_one_line(exc), "error")}
        updates = self._profile(session)
        updates[self.status] = status_html(done + " The next recommendation respects it.")
        return updates

    def apply_backend(self, kind: str, base_url: str, model: str, api_key: str,
                      session: UiSession | None) -> dict[Any, Any]:
        session = session or self._new_session()
        try:
            choice = BackendChoice.model_validate({
                "kind": kind or "local", "base_url": base_url or None, "model": model or None,
                "api_key": api_key or None}).validated()
        except ConvrecError as exc:
            return {self.status: status_html(str(exc), "error")}
        except Exception as exc:  # pydantic: an unknown kind
            return {self.status: status_html(_one_line(exc), "error")}
        health = self.pool.health(choice, fresh=True)
        session.backend = choice
        if health.ok:
            status = status_html(f"Now answering with {choice.label()}.")
        else:
            status = status_html(f"{choice.label()} is not answering ({health.detail}); "
                                 "replies use templates until it does.", "warning")
        return {self.session: session, self.status: status,
                self.health: health_html(health.ok, choice.label(), health.detail)}

    def api_turn(self, message: str, thread_id: str = "", user_id: str = "",
                 request: gr.Request | None = None) -> dict[str, Any]:
        """One chat turn: the reply, the cards, the ledger and the trace as JSON.

        `thread_id` continues a conversation (empty: a new one; the id comes back in the
        result); `user_id` is ml:<userId> or critic:<name> (empty: anonymous).
        """
        text = (message or "").strip()
        if not text:
            raise gr.Error("empty message: send some text")
        wait = self.limiter.hit(client_key(request))
        if wait:
            raise gr.Error(f"too many messages: wait {wait:.0f} s "
                           f"(limit {self.limiter.per_minute} a minute)")
        try:
            user = resolve_user(user_id, self.pool.resources.catalog)
            agent = self.pool.agent(self.default_backend, self.active_policy)
            result = agent.turn(text, thread_id=(thread_id or "").strip() or new_thread_id(),
                                user_id=user)
        except ConvrecError as exc:
            raise gr.Error(str(exc)) from None
        return result.model_dump(mode="json")


def serve(app: ChatApp, *, block: bool = True, warm: bool = True) -> tuple[gr.Blocks, str]:
    """Serve `app` on settings.ui_host:ui_port (loopback by default; never shared).

    `warm` loads the indexes and the default model first, so the first visitor does not
    wait; `block=False` returns at once (tests, and `convrec ui`, which waits itself).
    """
    settings = app.settings
    auth = settings.ui_credentials()
    if warm:
        app.pool.warm_up(app.default_backend, app.active_policy)
        app.users()
    recovered = app.jobs.recovered  # marks the jobs a previous server left running
    if recovered:
        log.warning("%d job(s) left by a previous server marked interrupted", len(recovered))
    demo = app.build()
    demo.queue(default_concurrency_limit=4, max_size=settings.ui_queue_size)
    _, url, _ = demo.launch(
        server_name=settings.ui_host, server_port=settings.ui_port or None, share=False,
        auth=auth, auth_message="convrec: sign in" if auth else None, show_error=False,
        ssr_mode=False, prevent_thread_lock=not block, quiet=not block,
        footer_links=["api"], css=CSS, theme=gr.themes.Soft(), mcp_server=False,
        allowed_paths=[str(app.jobs.runs_dir)],  # the run folders' plots
    )
    return demo, url


def launch(settings: Settings | None = None, *, backend: BackendChoice | None = None,
           block: bool = True, warm: bool = True) -> tuple[gr.Blocks, str]:
    """Build the app on the settings and serve it (see `serve`)."""
    return serve(ChatApp(settings, backend=backend), block=block, warm=warm)
