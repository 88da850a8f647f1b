"""One turn's wait on an LLM endpoint, bounded, and why it stopped waiting.

A turn may call the endpoint several times (the reading, the goals, the tool-calling planner
and its fallback, the reply and the intro), each with `llm_timeout_s` and `llm_max_retries`.
Without a bound a dead or hanging endpoint would cost every one of them: calls x timeout x
(1 + retries). Inside `llm_turn_budget(seconds)` (the agent opens one per turn) the time
spent waiting in LLM calls (not the turn's own work) is counted against `seconds`:

- every request's timeout is the smaller of its own and what is left of the budget, and a
  response still arriving when the budget ends is cut (`convrec.llm.http_deadline`);
- once a call fails because the endpoint is unavailable (down, hanging, slow, HTTP 5xx, a
  response cut at its deadline), every later call of the turn fails at once, without a
  request, and so does any call after the budget is spent;
- the first failure (unavailable or garbage) is kept, so the turn can say in one line why
  its reply came from templates.

So a turn's whole LLM wait is at most the budget plus the client's retry back-off sleeps
(the openai client sleeps 0.5 s, 1 s, 2 s ... between retries: 1.5 s for 2 retries).
The budget lives in a context variable: LangGraph runs nodes in threads with a copy of the
caller's context, and every copy sees the same `TurnBudget` object.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from convrec.llm.types import LlmError, LlmUnavailable, one_line

MIN_REQUEST_S = 0.05  # a request still gets this long when the budget is nearly spent

_CURRENT: ContextVar[TurnBudget | None] = ContextVar("convrec_llm_turn_budget", default=None)


class TurnBudget:
    """The seconds one turn may wait on the endpoint, and its first failure."""

    def __init__(self, seconds: float) -> None:
        self.seconds = float(seconds)
        self._active: dict[int, float] = {}  # calls in progress: their start times
        self._lock = threading.Lock()
        self.unavailable: str | None = None  # why later calls are skipped
        self.first_error: str | None = None  # the first failure of any kind, for the note
        self.skipped = 0  # calls refused without a request
        self.calls = 0  # calls that sent a request
        self.waited_s = 0.0  # time inside those calls, retries and back-off included

    def remaining(self) -> float:
        """The budget less the time spent in calls, finished and in progress."""
        now = time.monotonic()
        with self._lock:
            running = sum(now - started for started in self._active.values())
        return self.seconds - self.waited_s - running

    def check(self) -> None:
        """Raise LlmUnavailable when this turn must not call the endpoint any more."""
        if self.unavailable is None and self.remaining() <= 0:
            self._fail(LlmUnavailable(
                f"the turn's LLM budget of {self.seconds:g} s is spent"))
        if self.unavailable is not None:
            self.skipped += 1
            raise LlmUnavailable(f"skipped: {self.unavailable}")

    @contextmanager
    def call(self) -> Iterator[None]:
        """One call to the endpoint: refused when the turn may not call any more, timed."""
        self.check()
        started = time.monotonic()
        with self._lock:
            self.calls += 1
            key = self.calls
            self._active[key] = started
        try:
            yield
        finally:
            with self._lock:
                self._active.pop(key, None)
                self.waited_s += time.monotonic() - started

    def request_timeout(self, default: float | None) -> float:
        """A request's timeout: its own, cut to what is left of the budget."""
        left = max(MIN_REQUEST_S, self.remaining())
        return left if default is None else min(float(default), left)

    def record(self, error: LlmError) -> None:
        """A failed call: kept for the note; an unavailable endpoint ends the turn's calls."""
        if isinstance(error, LlmUnavailable) and self.remaining() <= 0:  # cut by the budget
            error = LlmUnavailable(f"the turn's LLM budget of {self.seconds:g} s ran out")
        if self.first_error is None:
            self.first_error = one_line(error, 200)
        if isinstance(error, LlmUnavailable):
            self._fail(error)

    def _fail(self, error: LlmError) -> None:
        if self.first_error is None:
            self.first_error = one_line(error, 200)
        if self.unavailable is None:
            self.unavailable = one_line(error, 200)

    def note(self, reply_source: str) -> str | None:
        """One line on why the turn's LLM calls failed (None when none did)."""
        if self.first_error is None:
            return None
        what = "unreachable" if self.unavailable is not None else "answered garbage"
        reply = ("template reply" if reply_source in ("", "template")
                 else f"{reply_source} reply")
        return f"LLM endpoint {what} ({self.first_error}): {reply}"


def current_budget() -> TurnBudget | None:
    """The budget of the turn running in this context (None outside a turn)."""
    return _CURRENT.get()


@contextmanager
def llm_turn_budget(seconds: float | None) -> Iterator[TurnBudget | None]:
    """Bound the LLM calls made inside (None: unbounded, yields None)."""
    if seconds is None:
        yield None
        return
    budget = TurnBudget(seconds)
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        try:
            _CURRENT.reset(token)
        except ValueError:  # closed from another context (an abandoned generator)
            _CURRENT.set(None)
