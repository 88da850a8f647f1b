"""The reply of a plan: the films grouped by sub-goal, a heading each, in the plan's order.

Template text only: every word is a heading made of the user's words, a film's facts, or
the plan's arithmetic (the runtimes' sum against the budget), so nothing is ungrounded.
"""

from __future__ import annotations

from collections.abc import Sequence

from convrec.agent.goals.solve import hours
from convrec.agent.goals.types import GoalPlan
from convrec.agent.respond import Card
from convrec.catalog.records import title_year

_ORDER_WORDS = {"easiest": "easiest first", "oldest": "oldest first", "newest": "newest first"}


def plan_reply(plan: GoalPlan, cards: Sequence[Card], prefix: str = "") -> str:
    """The reply text for `cards`, which follow `plan.slots` one to one."""
    shape = plan.shape
    lines: list[str] = []
    n = len(cards)
    if plan.compound():
        parts = sum(1 for g in plan.goals if any(s.goal == g.index for s in plan.slots))
        head = f"Here is a plan in {parts} parts" if parts > 1 else "Here is your pick"
    else:
        head = f"Here {'is a film' if n == 1 else f'are {n} films'}"
    extras = [_ORDER_WORDS[shape.order]] if shape.order else []
    if shape.per:
        extras.append(f"one per {shape.per}")
    if shape.distinct:
        extras.append(f"each from a different {shape.distinct}")
    lines.append(f"{head}{' (' + ', '.join(extras) + ')' if extras else ''}:")
    current = None
    for number, (slot, card) in enumerate(zip(plan.slots, cards, strict=True), start=1):
        if plan.compound() and slot.goal != current:
            current = slot.goal
            lines.append(f"\n**{plan.goals[slot.goal].heading}**")
        label = f"{slot.label}: " if slot.label else ""
        named = title_year(f"**{card.title}**", card.year)
        lines.append(f"{number}. {label}{named} — {card.reason}")
    if shape.budget_minutes:
        total = sum(c.runtime or 0 for c in cards)
        lines.append(f"\nTogether: {hours(total)}, within your {hours(shape.budget_minutes)}.")
    missing = [g.heading for g in plan.goals if not any(s.goal == g.index for s in plan.slots)]
    notes = [plan.note] if plan.note else []
    notes += [f"I found nothing in the catalog for \"{h}\"" for h in missing]
    if notes:
        lines.append("\n" + ". ".join(x[0].upper() + x[1:] for x in notes) + ".")
    text = "\n".join(lines)
    return f"{prefix} {text}".strip() if prefix else text
