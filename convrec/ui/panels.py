"""The panels a turn or a (re)started session refreshes: the cards, the constraint chips, the
profile, and every output of a restarted session."""

from __future__ import annotations

from typing import Any

import gradio as gr

from convrec.agent.ledger import Ledger
from convrec.tools.context import ToolContext
from convrec.tools.profiles.tool import profile_entries
from convrec.ui.policy import PolicyParts
from convrec.ui.render import card_html, entry_choices, group_heading, profile_html, status_html
from convrec.ui.session import UiSession, turn_marker
from convrec.ui.users import ANONYMOUS

MAX_CHIPS = 16


class Panels(PolicyParts):
    """Updates of the cards, chips and profile panels for a session."""

    def _panels(self, session: UiSession, ledger: Ledger) -> dict[Any, Any]:
        """The cards, the chips of `ledger` (the thread's, as the caller has it) and the
        profile."""
        updates: dict[Any, Any] = {}
        updates.update(self._cards(session))
        updates.update(self._chips(session, ledger))
        updates.update(self._profile(session))
        return updates

    def _card(self, session: UiSession, i: int, feedback: str | None = None) -> str:
        """Card `i` of the session, with the heading of the part it starts, if any."""
        card = session.cards[i]
        return card_html(card, i + 1, feedback or session.feedback.get(int(card["item_id"])),
                         group_heading(session.cards, i))

    def _cards(self, session: UiSession) -> dict[Any, Any]:
        updates: dict[Any, Any] = {self.cards_title: gr.update(visible=bool(session.cards))}
        for i in range(self.card_slots):
            if i < len(session.cards):
                updates[self.card_cols[i]] = gr.update(visible=True)
                updates[self.card_html[i]] = self._card(session, i)
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
        if session.user_id is None:
            return {self.profile: profile_html(None, []),
                    self.entry_dd: gr.update(choices=[], value=None)}
        entries, note = profile_entries(ToolContext(self.pool.resources, session.user_id,
                                                    edit_scope=session.login))
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
