"""One browser session's state and the small helpers around it: thread ids, the turn marker
the page (and the tests) wait on, whom the rate limit counts, this browser's thread list."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gradio as gr

from convrec.config import Settings
from convrec.ui.backends import BackendChoice

MAX_BROWSER_THREADS = 30


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
    login: str | None = None
    """The signed-in login the session was opened for (None without CONVREC_UI_AUTH): whose
    threads it may open and whose profile edits it sees."""


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


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


def ui_secret(settings: Settings) -> str:
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


def remember_thread(threads: list[dict[str, Any]] | None, session: UiSession, text: str
                    ) -> list[dict[str, Any]]:
    """This browser's threads, most recent first, the current one updated."""
    threads = [dict(t) for t in threads or [] if isinstance(t, dict) and t.get("id")]
    old = next((t for t in threads if t["id"] == session.thread_id), None)
    entry = {"id": session.thread_id, "user": session.user_id, "login": session.login,
             "title": (old or {}).get("title") or text[:60],
             "at": datetime.now(UTC).isoformat(timespec="seconds")}
    rest = [t for t in threads if t["id"] != session.thread_id]
    return [entry, *rest][:MAX_BROWSER_THREADS]


def own_threads(threads: list[dict[str, Any]] | None, login: str | None
                ) -> list[dict[str, Any]]:
    """The entries of this browser's thread list that `login` opened (all without logins):
    two logins on one browser never see each other's chats in the picker."""
    return [dict(t) for t in threads or [] if isinstance(t, dict) and t.get("id")
            and (login is None or t.get("login") == login)]


def thread_choices(threads: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(label, id) pairs for the earlier-chats picker."""
    return [(f"{t.get('at', '')[:16].replace('T', ' ')} · {t.get('title') or 'new chat'}"
             f" · {t.get('user') or 'anonymous'}", t["id"]) for t in threads if t.get("id")]
