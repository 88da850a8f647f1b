"""What a simulated user says, before it is put into words: `Move`s, the reply they make, and
the `Phraser` protocol that turns moves into a message.

Shared by the simulated user (convrec/eval/simulator.py), which decides the moves, and the
phrasers (convrec/eval/phrasers.py, convrec/eval/paraphrase.py), which word them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, get_args

from convrec.catalog.genre_words import spoken_name

Slot = Literal["genre", "era", "person", "theme", "mood", "language", "runtime", "liked"]
SLOTS: tuple[str, ...] = get_args(Slot)
MoveKind = Literal["reveal", "accept", "reject", "flip", "bye", "opening"]
ORDINAL_WORDS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
                 "ninth", "tenth")


@dataclass(frozen=True)
class Move:
    kind: MoveKind
    slot: Slot | None = None
    value: Any = None
    position: int | None = None  # accept: 1-based position in the list
    detail: str = ""  # reject: "older" / "newer"; opening: the human's text


@dataclass
class SimReply:
    text: str
    feedback: Literal["accept", "reject", "answer", "bye"]
    done: bool


def runtime_bucket(minutes: int) -> int:
    """The 'under N minutes' a user states for a film of `minutes`: the next half hour."""
    return (minutes // 30 + 1) * 30


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def genre_word(genre: str) -> str:
    """How the templates name a catalog genre; '' for genres nobody asks for by name."""
    return spoken_name(genre)


def ordinal(position: int) -> str:
    return ORDINAL_WORDS[position - 1] if position <= len(ORDINAL_WORDS) else f"number {position}"


class Phraser(Protocol):
    name: str

    def phrase(self, moves: Sequence[Move], history: Sequence[tuple[str, str]],
               rng: random.Random) -> str: ...
