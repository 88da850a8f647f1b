"""The lines of a turn's live trace (the collapsible step above the reply), from the agent's
stream events: what it understood and decided, a multi-part request's sub-goals and each
sub-goal's plan, and the tool lines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

SHAPE_WORDS = {"count": "{} films", "order": "{} first", "per": "one per {}",
               "budget_minutes": "within {} min", "distinct": "each a different {}"}


def goals_line(event: dict[str, Any]) -> str:
    """'goals: a cartoon for my nephew (3); a war drama for my dad (3)', with the plan's shape
    and what a follow-up changes."""
    parts = "; ".join(f"{g.get('text', '')} ({g.get('slots', 0)})"
                      for g in event.get("goals") or [])
    shape = event.get("shape") or {}
    said = [words.format(shape[key]) for key, words in SHAPE_WORDS.items()
            if shape.get(key) is not None]
    line = f"goals: {parts}" + (f" [{', '.join(said)}]" if said else "")
    if event.get("swap"):
        line += ", refill cards " + ", ".join(str(n + 1) for n in event["swap"])
    if event.get("redo"):
        line += ", redo parts " + ", ".join(str(n + 1) for n in event["redo"])
    return line


def goal_line(event: dict[str, Any]) -> str:
    """'[A war drama for your dad] plan: filter_items found 343'."""
    return f"[{event.get('heading', '')}] plan: {event.get('plan', '')} found {event['found']:,}"


def event_line(event: dict[str, Any]) -> str | None:
    """The trace line of one stream event; None for the events that are not traced."""
    kind = event["event"]
    if kind == "ledger":
        chips = ", ".join(event["chips"]) or "no constraints"
        return f"understood: {chips} ({event['candidates']:,} films fit)"
    if kind == "act":
        return f"decided: {event['act'].replace('_', ' ')}"
    if kind == "tool":
        return str(event["line"])
    if kind == "goals":
        return goals_line(event)
    if kind == "goal":
        return goal_line(event)
    return None


def final_trace(head: str, trace: Sequence[str], goals: Sequence[tuple[str, str]]
                ) -> list[str]:
    """The turn's trace once it is done: `head`, the agent's trace, and each sub-goal's plan
    line from the stream, (heading, line) in `goals`, before that sub-goal's first line."""
    lines = [head]
    pending = list(goals)
    for line in trace:
        for heading, goal in list(pending):
            if line.startswith(f"[{heading}] "):
                lines.append(goal)
                pending.remove((heading, goal))
        lines.append(line)
    return lines + [goal for _, goal in pending]
