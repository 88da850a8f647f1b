"""What the extractor hands the agent: the ledger update, the user's act, the films named."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from convrec.agent.ledger import LedgerUpdate
from convrec.agent.understanding.lexicon import ORDINALS
from convrec.tools.soft import SoftPreference

UserAct = Literal[
    "empty", "greeting", "thanks", "bye", "accept", "question", "more", "reject", "inform",
    "request", "unclear",
]
QuestionKind = Literal["director", "cast", "runtime", "year", "plot", "rating", "general"]


@dataclass
class Question:
    kind: QuestionKind
    item_id: int | None
    title: str | None  # as the user wrote it, when no film was found


@dataclass
class TitleMention:
    item_id: int
    written: str
    sentiment: Literal["liked", "disliked", "seen", "neutral"]
    alternatives: list[int] = field(default_factory=list)
    position: int = 0  # the token it starts at


@dataclass
class Extraction:
    text: str
    update: LedgerUpdate
    user_act: UserAct
    question: Question | None = None
    mentions: list[TitleMention] = field(default_factory=list)
    unresolved_titles: list[str] = field(default_factory=list)
    injection: bool = False
    notes: list[str] = field(default_factory=list)
    groundings: list[str] = field(default_factory=list)  # "Horror (from 'horor', ...)"

    @property
    def pending(self) -> list[SoftPreference]:
        """Leanings the agent asks the user to confirm ("Did you mean musical?")."""
        return [p for p in self.update.soft if p.ask]

    def summary(self) -> dict[str, object]:
        return {
            "user_act": self.user_act,
            "update": self.update.model_dump(exclude_defaults=True),
            "question": None if self.question is None else self.question.__dict__,
            "unresolved_titles": self.unresolved_titles,
            "injection": self.injection,
            "notes": self.notes,
            "groundings": self.groundings,
            "confirm": [p.value for p in self.pending],
        }



def ordinal_index(match: re.Match[str]) -> int:
    """The list position an ORDINAL_REF match names (0-based; 'last' is -1)."""
    return ORDINALS[match.group(1).lower()] if match.group(1) else int(match.group(2)) - 1


def shown_at(match: re.Match[str], shown: list[int]) -> int | None:
    """The film of the last list an ORDINAL_REF match names ('the second one', '#3')."""
    index = ordinal_index(match)
    return shown[index] if -len(shown) <= index < len(shown) else None

