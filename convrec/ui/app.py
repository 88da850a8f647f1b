"""The browser app: chat with the recommender, with cards, feedback, the ledger, the
user's profile, sessions and the LLM backend, each in its own panel.

`ChatApp(settings).build()` returns the Gradio Blocks; `launch(settings)` serves it
(`convrec ui`). Importing this module loads no model and no index: the agent pool is
created, and warmed up, by `launch` or on the first event.

Isolation: everything a visitor does lives in their session's state (`UiSession`: the
thread, the user, the backend). The only thing kept in the browser is the list of that
browser's own threads (BrowserState, encrypted) and the open thread in the page URL, so a
reload resumes it; a thread id is resumed only when this browser opened it.

The app is built in layers, each in its own module, each on the one before:
  base.AppBase             settings, agent pool, jobs, users, a fresh session
  policy.PolicyParts       the dialogue policy of new chats
  panels.Panels            the cards, chips and profile panels
  handlers.SessionHandlers page load, chips, user, new/resumed chats, profile, backend
  turns.TurnHandlers       one streamed chat turn, the cards' feedback
  api.ApiParts             the /turn API
  layout.Layout            the Blocks and the wiring
and `server` serves it (static CSS and JS in convrec/ui/static/, read by `assets`);
`launch` here builds a `ChatApp` and serves it.
"""

from __future__ import annotations

import gradio as gr

from convrec.config import Settings
from convrec.ui.assets import CSS, URL_JS
from convrec.ui.backends import BackendChoice
from convrec.ui.layout import FEEDBACK_KINDS, INTRO, Layout
from convrec.ui.panels import MAX_CHIPS
from convrec.ui.server import serve
from convrec.ui.session import (
    MAX_BROWSER_THREADS,
    UiSession,
    client_key,
    new_thread_id,
    turn_marker,
)

__all__ = ["CSS", "FEEDBACK_KINDS", "INTRO", "MAX_BROWSER_THREADS", "MAX_CHIPS", "URL_JS",
           "ChatApp", "UiSession", "client_key", "launch", "new_thread_id", "serve",
           "turn_marker"]


class ChatApp(Layout):
    """The handlers and layout of the browser app over one `AgentPool`."""


def launch(settings: Settings | None = None, *, backend: BackendChoice | None = None,
           block: bool = True, warm: bool = True) -> tuple[gr.Blocks, str]:
    """Build the app on the settings and serve it (see `convrec.ui.server.serve`)."""
    return serve(ChatApp(settings, backend=backend), block=block, warm=warm)
