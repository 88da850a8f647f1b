"""The app's API (gradio_client, `/turn`): one chat turn in, the reply and the cards out."""

from __future__ import annotations

from typing import Any

import gradio as gr

from convrec.errors import ConvrecError
from convrec.ui.session import client_key, new_thread_id
from convrec.ui.turns import TurnHandlers
from convrec.ui.users import resolve_user


class ApiParts(TurnHandlers):
    """`api_turn`, served as /turn next to the page's handlers."""

    def api_turn(self, message: str, thread_id: str = "", user_id: str = "",
                 request: gr.Request | None = None) -> dict[str, Any]:
        """One chat turn: the reply, the cards, the ledger and the trace as JSON.

        `thread_id` continues a conversation (empty: a new one; the id comes back in the
        result); `user_id` is ml:<userId> or critic:<name> (empty: anonymous).
        """
        wrong = [name for name, value in (("message", message), ("thread_id", thread_id),
                                          ("user_id", user_id))
                 if value is not None and not isinstance(value, str)]
        if wrong:  # a raw POST can send anything: one line, not an exception in the queue
            raise gr.Error(f"{', '.join(wrong)} must be text", print_exception=False)
        text = (message or "").strip()
        if not text:
            raise gr.Error("empty message: send some text", print_exception=False)
        wait = self.limiter.hit(client_key(request))
        if wait:
            raise gr.Error(f"too many messages: wait {wait:.0f} s "
                           f"(limit {self.limiter.per_minute} a minute)",
                           print_exception=False)
        try:
            user = resolve_user(user_id, self.pool.resources.catalog)
            agent = self.pool.agent(self.default_backend, self.active_policy)
            result = agent.turn(text, thread_id=(thread_id or "").strip() or new_thread_id(),
                                user_id=user)
        except ConvrecError as exc:
            # a refusal the caller can act on, not a fault: no traceback in the app's log
            raise gr.Error(str(exc), print_exception=False) from None
        return result.model_dump(mode="json")
