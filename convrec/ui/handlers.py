"""The handlers of everything but a chat turn: the page load, the constraint chips, the user
picker, new and resumed chats, profile edits and the LLM backend."""

from __future__ import annotations

from typing import Any

import gradio as gr

from convrec.agent.ledger import Ledger
from convrec.errors import ConvrecError
from convrec.ui.accounts import login_of
from convrec.ui.backends import BackendChoice
from convrec.ui.panels import Panels
from convrec.ui.render import health_html, status_html
from convrec.ui.session import UiSession, one_line, own_threads, thread_choices
from convrec.ui.users import resolve_user


class SessionHandlers(Panels):
    """Events that change the session, its thread or its settings (not a turn)."""

    def on_load(self, threads: list[dict[str, Any]] | None, request: gr.Request
                ) -> dict[Any, Any]:
        """A page (re)load: resume the thread in the URL when this browser opened it (and,
        with logins on, this login)."""
        login = login_of(request)
        threads = own_threads(threads, login)
        wanted = (request.query_params.get("thread") if request else None) or ""
        session = self._new_session(login=login)
        status = ""
        state: dict[str, Any] = {}
        if wanted and any(t.get("id") == wanted for t in threads):
            try:
                state = self._reader().open_thread(wanted, login)
            except ConvrecError as exc:  # NoSuchChat: another login's thread
                status, state = str(exc), {}
            if state:
                session = self._resumed(wanted, state, login)
                status = "Resumed your chat."
        updates = self._restart(session, status, state=state)
        updates[self.threads_dd] = gr.update(choices=thread_choices(threads), value=None)
        health = self.pool.health(session.backend)
        updates[self.health] = health_html(health.ok, session.backend.label(), health.detail)
        return updates

    def _resumed(self, thread_id: str, state: dict[str, Any], login: str | None) -> UiSession:
        session = self._new_session(user_id=state.get("user_id"), login=login)
        session.thread_id = thread_id
        session.cards = list(state.get("cards") or [])
        ledger = Ledger.model_validate(state.get("ledger") or {})
        for kind, ids in (("like", ledger.liked), ("reject", ledger.rejected),
                          ("seen", ledger.seen)):
            for item_id in ids:
                session.feedback[int(item_id)] = kind
        return session

    def remove_chip(self, slot: int, session: UiSession | None, request: gr.Request | None = None
                    ) -> dict[Any, Any]:
        if session is None or slot >= len(session.chip_keys):
            return {self.status: status_html("That constraint is gone already.", "error")}
        key = session.chip_keys[slot]
        reader = self._reader()
        login = login_of(request)
        try:
            ledger = reader.remove_constraint(session.thread_id, key, login)
        except ConvrecError as exc:
            try:
                updates = self._chips(session, reader.ledger(session.thread_id, login))
            except ConvrecError:
                updates = {}
            updates[self.status] = status_html(str(exc), "error")
            return updates
        updates = {self.session: session, self.status: status_html(
            "Dropped that constraint: the next answer plans without it.")}
        updates.update(self._chips(session, ledger))
        return updates

    def select_user(self, value: str | None, session: UiSession | None,
                    request: gr.Request | None = None) -> dict[Any, Any]:
        login = login_of(request)
        session = session or self._new_session(login=login)
        try:
            user_id = resolve_user(value, self.pool.resources.catalog)
        except ConvrecError as exc:
            updates = self._restart(session, str(exc), "error")
            return updates
        if user_id == session.user_id:  # the same user again (typed, then picked): nothing
            return {}                    # changes, and the status says what it said
        fresh = self._new_session(user_id=user_id, backend=session.backend, login=login)
        who = user_id or "anonymous"
        return self._restart(fresh, f"Now chatting as {who}: a new chat started.", state={})

    def new_chat(self, session: UiSession | None, request: gr.Request | None = None
                 ) -> dict[Any, Any]:
        login = login_of(request)
        old = session or self._new_session(login=login)
        return self._restart(self._new_session(user_id=old.user_id, backend=old.backend,
                                               login=login),
                             "A new chat: the constraints are cleared.", state={})

    def resume(self, thread_id: str | None, threads: list[dict[str, Any]] | None,
               session: UiSession | None, request: gr.Request | None = None
               ) -> dict[Any, Any]:
        login = login_of(request)
        current = session or self._new_session(login=login)
        if not thread_id:
            return self._restart(current, "Pick an earlier chat first.", "error")
        if not any(t.get("id") == thread_id for t in own_threads(threads, login)):
            return self._restart(current, "That chat was not opened in this browser.", "error")
        try:
            state = self._reader().open_thread(thread_id, login)
        except ConvrecError as exc:  # NoSuchChat: another login's thread
            return self._restart(current, str(exc), "error")
        if not state:
            return self._restart(current, "That chat has no saved turns.", "error")
        resumed = self._resumed(thread_id, state, login)
        resumed.backend = current.backend
        return self._restart(resumed, "Resumed an earlier chat.", state=state)

    def edit_entry(self, action: str, key: str | None, session: UiSession | None,
                   request: gr.Request | None = None) -> dict[Any, Any]:
        """Flip, delete or restore a profile entry: with logins on, the edit is this
        login's own (the store scopes it by login), never another login's view."""
        login = login_of(request)
        session = session or self._new_session(login=login)
        if session.user_id is None:
            return {self.status: status_html("Anonymous chats have no profile to edit.",
                                             "error")}
        if not key:
            return {self.status: status_html("Pick a profile entry first.", "error")}
        store = self._store()
        try:
            if action == "flip":
                entry = store.flip_entry(session.user_id, key, scope=login)
                done = f"Flipped: you now {entry.polarity} {entry.value}."
            elif action == "delete":
                entry = store.delete_entry(session.user_id, key, scope=login)
                done = f"Deleted {entry.value} from your profile."
            else:
                entry = store.restore_entry(session.user_id, key, scope=login)
                done = f"Restored {entry.value} as extracted ({entry.polarity})."
        except Exception as exc:  # ToolArgumentError and friends: one line
            return {self.status: status_html(one_line(exc), "error")}
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
            return {self.status: status_html(one_line(exc), "error")}
        health = self.pool.health(choice, fresh=True)
        session.backend = choice
        if health.ok:
            status = status_html(f"Now answering with {choice.label()}.")
        else:
            status = status_html(f"{choice.label()} is not answering ({health.detail}); "
                                 "replies use templates until it does.", "warning")
        return {self.session: session, self.status: status,
                self.health: health_html(health.ok, choice.label(), health.detail)}
