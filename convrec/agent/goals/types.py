"""The typed plan of a multi-part request: sub-goals, the plan's shape, the chosen slots."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from convrec.agent.ledger import LedgerUpdate

MAX_PLAN_FILMS = 10  # the most films one plan shows (the UI has a card slot for each)

Order = Literal["easiest", "oldest", "newest"]
Distinct = Literal["decade", "genre", "director", "language"]
Source = Literal["rules", "llm"]


class Shape(BaseModel):
    """What the whole plan must satisfy, beyond each sub-goal's constraints."""

    count: int | None = Field(default=None, ge=1, le=10, description="films in all, if said")
    order: Order | None = Field(default=None, description="'easiest first', 'oldest first'")
    per: str | None = Field(default=None, description="'night': one film per night, labelled")
    budget_minutes: int | None = Field(default=None, ge=1, description="'fits in five hours'")
    distinct: Distinct | None = Field(default=None, description="'each from a different decade'")
    said: list[str] = Field(default_factory=list, description="the user's words for each cue")

    def structured(self) -> bool:
        return any(v is not None for v in (self.count, self.order, self.per,
                                           self.budget_minutes, self.distinct))


class Goal(BaseModel):
    """One part of the request: its words, its own constraints, how many films it gets."""

    index: int
    text: str = Field(description="the user's words for this part")
    heading: str = Field(description="the part as the reply's heading")
    update: LedgerUpdate = Field(default_factory=LedgerUpdate,
                                 description="this part's constraints, on top of the ledger")
    slots: int = Field(default=1, ge=1, le=10)
    turn: int = 0
    refinements: list[LedgerUpdate] = Field(
        default_factory=list, description="later turns' changes to this part alone, in order")


class Slot(BaseModel):
    """One chosen film: which goal it serves, and why it is in this place."""

    goal: int
    item_id: int
    label: str = Field(default="", description="'Night 2', 'Start here'")
    note: str = Field(default="", description="why this slot: its decade, its runtime ...")


class GoalPlan(BaseModel):
    """A turn's sub-goals and shape; after the films are chosen, the slots too. The ledger
    keeps the latest one, so a follow-up can change one part and keep the rest."""

    goals: list[Goal]
    shape: Shape = Field(default_factory=Shape)
    shared: LedgerUpdate = Field(default_factory=LedgerUpdate,
                                 description="what every part shares ('80s films: ...')")
    source: Source = "rules"
    turn: int = 0
    slots: list[Slot] = Field(default_factory=list)
    swap: list[int] = Field(default_factory=list,
                            description="a follow-up: the slot positions to fill anew")
    redo: list[int] = Field(default_factory=list,
                            description="a follow-up: the goals whose slots are all new")
    seen: bool = Field(default=False, description="a follow-up: the films replaced were seen")
    note: str = Field(default="", description="what could not be met, said plainly")

    def compound(self) -> bool:
        return len(self.goals) > 1

    def describe(self) -> str:
        parts = [f"{g.text} ({g.slots})" for g in self.goals]
        extra = [*self.shape.said]
        return "; ".join(parts) + (f" [{', '.join(extra)}]" if extra else "")
