"""What every part of the browser app shares: the settings, the agent pool (created on first
use), the jobs, the users, a fresh session, and the page's components (made by `layout`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from convrec.agent.goals.types import MAX_PLAN_FILMS
from convrec.config import Settings, get_settings
from convrec.jobs.manager import JobManager
from convrec.tools.context import ToolContext
from convrec.tools.profiles.tool import load_profiles
from convrec.ui.accounts import Accounts
from convrec.ui.backends import AgentPool, BackendChoice
from convrec.ui.ratelimit import RateLimiter
from convrec.ui.session import UiSession, new_thread_id
from convrec.ui.users import user_choices


class AppBase:
    """The shared state of `ChatApp`; the layers above add the policy, the panels, the
    handlers, the API and the layout."""

    # The page's components, made by `Layout.build`.
    session: gr.State
    browser_threads: gr.BrowserState
    thread_box: gr.Textbox
    chatbot: gr.Chatbot
    msg: gr.Textbox
    send_btn: gr.Button
    status: gr.HTML
    policy_label: gr.HTML
    turn_marker: gr.HTML
    cards_title: gr.Markdown
    card_cols: list[gr.Column]
    card_html: list[gr.HTML]
    card_buttons: list[list[gr.Button]]
    user_dd: gr.Dropdown
    chips_note: gr.Markdown
    chip_btns: list[gr.Button]
    new_btn: gr.Button
    threads_dd: gr.Dropdown
    resume_btn: gr.Button
    profile: gr.HTML
    entry_dd: gr.Dropdown
    flip_btn: gr.Button
    delete_btn: gr.Button
    restore_btn: gr.Button
    backend_radio: gr.Radio
    base_url: gr.Textbox
    model: gr.Textbox
    api_key: gr.Textbox
    apply_btn: gr.Button
    health: gr.HTML
    active_policy: Path | None

    def __init__(self, settings: Settings | None = None, *, pool: AgentPool | None = None,
                 backend: BackendChoice | None = None) -> None:
        self.settings = settings or get_settings()
        self._pool = pool
        self.default_backend = backend or BackendChoice.from_settings(self.settings)
        self.limiter = RateLimiter(self.settings.ui_rate_limit)
        self.accounts = Accounts(self.settings)  # a malformed CONVREC_UI_AUTH raises here
        self.k = self.settings.agent_k
        # one card slot per film a turn can show: k, or a multi-part plan's films
        self.card_slots = max(self.k, MAX_PLAN_FILMS)
        self._users: list[tuple[str, str]] | None = None
        self._jobs: Any = None

    @property
    def pool(self) -> AgentPool:
        if self._pool is None:
            self._pool = AgentPool(self.settings)
        return self._pool

    @property
    def jobs(self) -> Any:
        """The server's background jobs (evaluations, ReDial, training)."""
        if self._jobs is None:
            self._jobs = JobManager(self.settings)
        return self._jobs

    def _store(self) -> Any:
        return load_profiles(ToolContext(self.pool.resources))

    def users(self) -> list[tuple[str, str]]:
        if self._users is None:
            self._users = user_choices(self._store())
        return self._users

    def _reader(self) -> Any:
        return self.pool.any_agent()

    def _new_session(self, user_id: str | None = None,
                     backend: BackendChoice | None = None, login: str | None = None
                     ) -> UiSession:
        return UiSession(thread_id=new_thread_id(), backend=backend or self.default_backend,
                         user_id=user_id, policy=self.active_policy, login=login)
