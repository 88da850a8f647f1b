"""The app's API (gradio_client): `/turn`, one chat turn in, the reply and the cards out;
`/feedback`, a like / not for me / seen on a film of a thread (what the cards' buttons do)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from convrec.errors import ConvrecError
from convrec.ui.accounts import login_of
from convrec.ui.session import client_key, new_thread_id
from convrec.ui.turns import TurnHandlers
from convrec.ui.users import resolve_user


def refused(message: str) -> gr.Error:
    """An API error for the caller, in one line; an expected refusal, so the server's log gets
    no traceback for it."""
    return gr.Error(message, print_exception=False)


class ApiParts(TurnHandlers):
    """`api_turn`, served as /turn next to the page's handlers."""

    def _within_rate(self, request: gr.Request | None) -> None:
        """Count this call against its client's rate limit; over it, a one-line refusal."""
        wait = self.limiter.hit(client_key(request))
        if wait:
            raise refused(f"too many messages: wait {wait:.0f} s "
                          f"(limit {self.limiter.per_minute} a minute)")

    def api_turn(self, message: str, thread_id: str = "", user_id: str = "",
                 request: gr.Request | None = None) -> dict[str, Any]:
        """One chat turn: the reply, the cards, the ledger and the trace as JSON.

        `thread_id` continues a conversation (empty: a new one; the id comes back in the
        result); `user_id` is ml:<userId> or critic:<name> (empty: anonymous). With logins
        on, a thread is its opener's: another login's id answers "no such chat".
        """
        wrong = [name for name, value in (("message", message), ("thread_id", thread_id),
                                          ("user_id", user_id))
                 if value is not None and not isinstance(value, str)]
        if wrong:  # a raw POST can send anything: one line, not an exception in the queue
            raise refused(f"{', '.join(wrong)} must be text")
        text = (message or "").strip()
        if not text:
            raise refused("empty message: send some text")
        self._within_rate(request)
        try:
            user = resolve_user(user_id, self.pool.resources.catalog)
            agent = self.pool.agent(self.default_backend, self.active_policy)
            login, named = login_of(request), (thread_id or "").strip()
            if named:  # a thread the client names must be one it opened (with logins on)
                agent.open_thread(named, login, existing=True)
            result = agent.turn(text, thread_id=named or new_thread_id(), user_id=user,
                                login=login)
        except ConvrecError as exc:
            raise refused(str(exc)) from None
        return result.model_dump(mode="json")

    def api_feedback(self, thread_id: str, item_id: int, kind: str, user_id: str = "",
                     request: gr.Request | None = None) -> dict[str, Any]:
        """Feedback on a film: `kind` is like, reject (not for me) or seen. It goes into the
        thread's ledger (the next turn acts on it) and the feedback log. `thread_id` is one a
        /turn returned; `user_id` as for /turn. Returns the thread's ledger."""
        thread = (thread_id or "").strip()
        if not thread:
            raise refused("no thread: send the thread_id a /turn returned")
        self._within_rate(request)
        try:
            film = int(item_id)
        except (TypeError, ValueError):
            raise refused("item_id must be a film's id (an integer)") from None
        try:
            agent, login = self._reader(), login_of(request)
            # a thread that does not exist, or is another login's, reads the same
            if not agent.open_thread(thread, login, existing=True):
                raise ConvrecError(f"no thread {thread!r}: start one with /turn")
            agent.bind_user(thread, resolve_user(user_id, self.pool.resources.catalog))
            ledger = agent.feedback(thread, film, str(kind or "").strip(), source="api",
                                    login=login)
        except ConvrecError as exc:
            raise refused(str(exc)) from None
        return {"thread_id": thread, "item_id": film, "kind": kind,
                "ledger": ledger.model_dump(mode="json"), "chips": ledger.describe()}
