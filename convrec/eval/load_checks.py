"""The load benchmark's isolation checks: does any session see another's ledger, films or
profile?

Each turn's result (the app's /turn JSON) is checked against what its own session sent:

- thread: the result names the session's own thread (the one the first turn was given),
  and no two sessions were given the same thread id;
- turn: the turn counter is the session's own count of completed turns;
- user: the result speaks as the session's own user (a `ml:<id>` rater or anonymous);
- ledger: the hard constraints (genres in and out, years, languages, liked films) are
  exactly the ones the session's script stated so far. A value another session stated
  and this one did not is cross-talk; any other difference is a ledger mismatch (what the
  rules understood of the session's own words), counted apart;
- films: every film the ledger says was shown is one this session received;
- cards: every card is one of the turn's films, and (`bench_agent.check_turn`) none breaks
  the session's own hard constraints, repeats, is outside the catalog, or was rated before
  by the session's own user (its own profile).

Cross-talk failures are the thread, turn, user, foreign-ledger-value and foreign-film
failures; constraint problems of the cards are reported beside them.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from convrec.agent.ledger import Ledger
from convrec.eval.bench_agent import check_turn
from convrec.eval.load_scripts import SessionScript, ledger_view
from convrec.tools.context import Resources, ToolContext
from convrec.tools.pipeline import history_ids

MAX_EXAMPLES = 10


@dataclass
class Tally:
    """Checks made and failed, by kind; thread-safe."""

    checks: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def check(self, kind: str, ok: bool, detail: str = "") -> bool:
        with self._lock:
            self.checks[kind] += 1
            if not ok:
                self.failures[kind] += 1
                if len(self.examples) < MAX_EXAMPLES:
                    self.examples.append(f"{kind}: {detail}")
        return ok


CROSS_TALK = ("thread", "turn", "user", "ledger_foreign", "films_foreign", "thread_unique")
OWN = ("ledger_mismatch", "cards")


class SessionChecker:
    """The checks of one session's turns, in order."""

    def __init__(self, script: SessionScript, resources: Resources, owners: dict[Any, set[int]],
                 tally: Tally) -> None:
        self.script = script
        self.tally = tally
        self.owners = owners  # ledger value / film -> the sessions that stated / received it
        self.ctx = ToolContext(resources, user_id=script.user_id or None)
        self.history = history_ids(self.ctx) if script.user_id else set()
        self.thread_id: str | None = None
        self.completed = 0
        self.received: set[int] = set()
        self.earlier: dict[int, int] = {}
        self.before = Ledger()
        self.marked: dict[int, str] = {}

    def _foreign(self, kind: str, value: Any) -> bool:
        return bool(self.owners.get((kind, value), set()) - {self.script.index})

    def check(self, result: dict[str, Any]) -> None:
        s, t = self.script, self.tally
        self.completed += 1
        label = f"session {s.index} turn {self.completed}"
        thread = str(result.get("thread_id") or "")
        if self.thread_id is None:
            self.thread_id = thread
        t.check("thread", thread == self.thread_id and bool(thread),
                f"{label}: thread {thread!r}, expected {self.thread_id!r}")
        t.check("turn", result.get("turn") == self.completed,
                f"{label}: turn counter {result.get('turn')}")
        t.check("user", (result.get("user_id") or "") == s.user_id,
                f"{label}: user {result.get('user_id')!r}, expected {s.user_id or None!r}")
        ledger = result.get("ledger") or {}
        self._check_ledger(ledger, label)
        ids = [int(i) for i in result.get("item_ids") or []]
        self.received.update(ids)
        shown = {int(k) for k in ledger.get("shown") or {}}
        strange = sorted(shown - self.received)
        t.check("films_foreign", not strange,
                f"{label}: shown films it never received {strange[:5]}")
        self._check_cards(result, ids, label)

    def _check_ledger(self, ledger: dict[str, Any], label: str) -> None:
        view = ledger_view(ledger)
        expected = self.script.expected[self.completed - 1]
        foreign: list[str] = []
        other: list[str] = []
        for key, want in expected.items():
            got = view[key]
            if got == want:
                continue
            values = got if isinstance(got, list) else [got]
            wanted = want if isinstance(want, list) else [want]
            extra = [v for v in values if v not in wanted and v is not None]
            (foreign if any(self._foreign(key, v) for v in extra) else other).append(
                f"{key} {got!r} (expected {want!r})")
        self.tally.check("ledger_foreign", not foreign, f"{label}: {'; '.join(foreign)}")
        self.tally.check("ledger_mismatch", not other, f"{label}: {'; '.join(other)}")

    def _check_cards(self, result: dict[str, Any], ids: list[int], label: str) -> None:
        cards = [int(c.get("item_id", -1)) for c in result.get("cards") or []]
        found = check_turn(SimpleNamespace(item_ids=ids, ledger=result.get("ledger") or {}),
                           before=self.before, earlier=self.earlier, ctx=self.ctx,
                           marked=self.marked, history=self.history)
        for item_id in cards:
            problems = []
            if item_id not in ids:
                problems.append("not one of the turn's films")
            problems += found.violations.get(item_id, [])
            if item_id in found.repeats:
                problems.append(found.repeats[item_id])
            if item_id in found.out_of_catalog:
                problems.append("not in the catalog")
            if item_id in found.rated_before:
                problems.append("its user rated it before")
            self.tally.check("cards", not problems, f"{label}: film {item_id}: "
                             + "; ".join(problems))
        for item_id in ids:
            self.earlier.setdefault(item_id, self.completed)
        self.before = Ledger.model_validate(result.get("ledger") or {})
        for name in ("seen", "rejected", "disliked", "liked"):
            for item_id in getattr(self.before, name):
                self.marked.setdefault(int(item_id), name)


def owners(scripts: list[SessionScript]) -> dict[Any, set[int]]:
    """Which sessions stated each ledger value (key, value): for telling cross-talk apart."""
    found: dict[Any, set[int]] = {}
    for s in scripts:
        for state in s.expected:
            for key, value in state.items():
                for v in value if isinstance(value, list) else [value]:
                    found.setdefault((key, v), set()).add(s.index)
    return found


def check_unique_threads(checkers: list[SessionChecker], tally: Tally) -> None:
    seen: dict[str, int] = {}
    for c in checkers:
        if c.thread_id is None:
            continue
        other = seen.setdefault(c.thread_id, c.script.index)
        tally.check("thread_unique", other == c.script.index,
                    f"sessions {other} and {c.script.index} share thread {c.thread_id}")
