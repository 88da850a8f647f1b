"""A chat turn in the page, streamed (the plan and the tool trace as a collapsible step, then
the reply as it is written, then the cards and the ledger), and the cards' feedback."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import gradio as gr

from convrec.agent.ledger import Ledger
from convrec.errors import ConvrecError
from convrec.ui.accounts import login_of
from convrec.ui.handlers import SessionHandlers
from convrec.ui.render import chat_text, status_html
from convrec.ui.session import (
    UiSession,
    client_key,
    one_line,
    own_threads,
    remember_thread,
    thread_choices,
    turn_marker,
)
from convrec.ui.trace import event_line, final_trace

log = logging.getLogger(__name__)

FEEDBACK_DONE = {"like": "liked", "reject": "not for you", "seen": "seen"}


class TurnHandlers(SessionHandlers):
    """The send handler (one streamed turn) and the feedback buttons of the cards."""

    def send(self, message: str, history: list[dict[str, Any]] | None,
             session: UiSession | None, threads: list[dict[str, Any]] | None,
             request: gr.Request) -> Iterator[dict[Any, Any]]:
        """One chat turn, streamed: the plan and tool trace as a collapsible step, then the
        reply as it is written, then the cards and the ledger."""
        login = login_of(request)
        if session is None or session.login != login:
            session = self._new_session(login=login)
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
        goals: list[tuple[str, str]] = []  # (heading, line) of each sub-goal's plan
        started = time.perf_counter()
        result = None
        try:
            for event in agent.stream(text, thread_id=session.thread_id,
                                      user_id=session.user_id, login=login):
                kind = event["event"]
                line = event_line(event)
                if line is not None:
                    lines.append(line)
                    if kind == "goal":
                        goals.append((str(event.get("heading", "")), line))
                elif kind == "plan":
                    step["metadata"]["title"] = f"Plan: {event['plan']}"
                elif kind == "token":
                    reply["content"] += chat_text(event["text"])
                elif kind == "reset":
                    reply["content"] = ""
                elif kind == "final":
                    result = event["result"]
                    continue
                else:
                    continue
                step["content"] = "\n".join(f"- {chat_text(line)}" for line in lines)
                yield {self.chatbot: history}
        except ConvrecError as exc:
            yield self._failed(history, text, one_line(exc))
            return
        except Exception as exc:
            log.exception("turn failed")
            yield self._failed(history, text, f"something went wrong on our side "
                                              f"({type(exc).__name__}: {one_line(exc)})")
            return
        assert result is not None
        reply["content"] = chat_text(result.reply)
        trace = final_trace(lines[0], result.trace, goals) if result.trace else lines
        step["content"] = "\n".join(f"- {chat_text(line)}" for line in trace)
        step["metadata"]["status"] = "done"
        step["metadata"]["duration"] = round(time.perf_counter() - started, 2)
        if not result.plan:
            step["metadata"]["title"] = f"Decided: {result.act.replace('_', ' ') or 'reply'}"
        session.cards = list(result.cards)
        session.feedback = {}
        threads = remember_thread(threads, session, text)
        shown = own_threads(threads, login)
        updates = {self.chatbot: history, self.session: session,
                   self.thread_box: session.thread_id, self.browser_threads: threads,
                   self.threads_dd: gr.update(choices=thread_choices(shown)),
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

    def feedback(self, slot: int, kind: str, session: UiSession | None,
                 request: gr.Request | None = None) -> dict[Any, Any]:
        if session is None or slot >= len(session.cards):
            return {self.status: status_html("That card is gone: ask for new films.", "error")}
        card = session.cards[slot]
        item_id = int(card["item_id"])
        try:
            self._reader().feedback(session.thread_id, item_id, kind, source="ui",
                                    login=login_of(request))
        except ConvrecError as exc:
            return {self.status: status_html(str(exc), "error")}
        session.feedback[item_id] = kind
        return {self.card_html[slot]: self._card(session, slot, kind), self.session: session,
                self.status: status_html(f"Noted: {card['title']} is {FEEDBACK_DONE[kind]}.")}
