"""Simulated users: a hidden target, a persona, and truthful answers drawn from the catalog.

A simulated user is a small state machine that decides *what* to say each turn as a list of
`Move`s (reveal a fact of the target, accept a film, reject the list with a reason, change
its mind, give up; convrec/eval/moves.py), and a phraser that turns the moves into words
(convrec/eval/phrasers.py: `TemplatePhraser`, `LlmPhraser`; convrec/eval/paraphrase.py:
`ParaphrasePhraser`).

Behaviour (identical for every phraser, since the moves decide it):

- Truthful: every fact revealed comes from `TargetFacts` (genres, decade, director and cast,
  theme words, language, runtime, films the user liked). The hard constraints stated so far
  are kept in `stated` as filter arguments, which the target satisfies (the mind-changer's
  decoy aside, until it flips).
- Accepts when a target is in the list ("the second one sounds perfect"), by position, never
  by title.
- Rejects any other list with a reason drawn from how the films differ from the target: the
  target's genre when most films lack it, its decade when most are from another one, else
  the next fact it has not told yet.
- Answers the agent's questions (genre, era, mood, a film they liked; when asked to relax,
  another fact).
- Ends when it accepts, gives up (impatient persona), or after `max_turns`.
- `withhold` names facts it never tells (e.g. 'person': naming the director or the lead
  actor narrows a catalog to a handful of films, so runs without it measure the harder case).

Personas (`PERSONAS`, sampled per scenario with the run's seed):
cooperative (two facts at once, a reason with every rejection), terse (one short fact at a
time; half its rejections give no reason), mind_changer (opens with a genre the target is
not, and takes it back on its second turn), impatient (like cooperative, but gives up after
2 or 3 turns without a hit).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, Literal

from convrec.catalog.db import Catalog
from convrec.eval.leak import find_leak
from convrec.eval.moves import (
    ORDINAL_WORDS,
    SLOTS,
    Move,
    MoveKind,
    Phraser,
    SimReply,
    Slot,
    article,
    genre_word,
    ordinal,
    runtime_bucket,
)
from convrec.eval.phrasers import (
    LlmPhraser,
    TemplatePhraser,
    carries,
    describe_moves,
    fragment,
    required_words,
)
from convrec.eval.records import Scenario
from convrec.eval.target import TargetFacts

# The simulator's vocabulary and the phrasers, importable from here as before the split.
__all__ = ["ORDINAL_WORDS", "PERSONAS", "SLOTS", "LlmPhraser", "Move", "MoveKind",
           "Phraser", "SimReply", "SimulatedUser", "Slot", "TemplatePhraser", "article",
           "carries", "describe_moves", "fragment", "genre_word", "ordinal", "required_words",
           "runtime_bucket"]

PERSONAS = ("cooperative", "terse", "mind_changer", "impatient")
ASKED_SLOT: dict[str, tuple[Slot, ...]] = {
    "ask_genre": ("genre", "mood"),
    "ask_era": ("era",),
    "ask_mood": ("mood", "theme"),
    "ask_liked_film": ("liked",),
}


# ----------------------------------------------------------------------------- the user


class SimulatedUser:
    """One simulated user for one dialogue (see the module docstring)."""

    def __init__(self, scenario: Scenario, facts: TargetFacts, persona: str, seed: int,
                 phraser: Phraser, catalog: Catalog, *, max_turns: int = 5,
                 withhold: Sequence[str] = ()) -> None:
        if persona not in PERSONAS:
            raise ValueError(f"unknown persona {persona!r}: choose from {', '.join(PERSONAS)}")
        self.scenario = scenario
        self.facts = facts
        self.persona = persona
        self.rng = random.Random(seed)
        self.phraser = phraser
        self.max_turns = max_turns
        self.turn = 0  # messages sent
        self.history: list[tuple[str, str]] = []  # (speaker, text)
        self.stated: dict[str, Any] = {}
        self.told: set[Slot] = set()
        self.decoy: str | None = None
        self.patience = self.rng.choice((2, 3)) if persona == "impatient" else max_turns
        self._values = {slot: value for slot, value in self._slot_values(catalog).items()
                        if slot not in withhold}
        self._order = self._slot_order()

    # -- what the user can say

    def _slot_values(self, catalog: Catalog) -> dict[Slot, Any]:
        f = self.facts
        values: dict[Slot, Any] = {}
        genres = [g for g in f.genres if genre_word(g)]
        if genres:
            values["genre"] = genres[0]
        if f.decade is not None:
            values["era"] = f.decade
        terse = self.persona == "terse"
        if f.directors and not terse:
            values["person"] = (f.directors[0], "director")
        elif f.cast:
            values["person"] = (f.cast[0], "actor")
        if f.themes or f.keywords:
            values["theme"] = (f.themes or f.keywords)[0]
        if f.moods:
            values["mood"] = f.moods[0]
        if f.language and f.language != "English":
            values["language"] = f.language
        if f.runtime:
            values["runtime"] = runtime_bucket(f.runtime)
        liked = self._liked_title(catalog)
        if liked:
            values["liked"] = liked
        return values

    def _liked_title(self, catalog: Catalog) -> str | None:
        for item in catalog.items(self.scenario.liked_ids[:20]):
            if not find_leak(item.label, self.facts.titles):
                return item.label
        return None

    def _slot_order(self) -> list[Slot]:
        if self.persona == "terse":
            order: list[Slot] = ["mood", "genre", "era", "person", "theme", "liked"]
        else:
            order = ["genre", "era", "person", "theme", "liked", "mood"]
            rest = order[1:]
            self.rng.shuffle(rest)
            order = [order[0], *rest]
        if "language" in self._values:
            order.insert(1, "language")
        order.append("runtime")
        return [s for s in order if s in self._values]

    def _next(self, prefer: Sequence[Slot] = ()) -> Move | None:
        for slot in [*prefer, *self._order]:
            if slot in self._values and slot not in self.told:
                return self._reveal(slot)
        return None

    def _reveal(self, slot: Slot) -> Move:
        self.told.add(slot)
        if slot in ("mood", "genre"):  # a mood and the genre it comes from say the same
            self.told.update(("mood", "genre"))
        value = self._values[slot]
        self._state(slot, value)
        return Move("reveal", slot, value)

    def _state(self, slot: Slot, value: Any) -> None:
        """Record a hard constraint the user has now stated (soft wishes are not)."""
        s = self.stated
        if slot == "genre":
            s.setdefault("genres_all", [])
            if value not in s["genres_all"]:
                s["genres_all"].append(value)
        elif slot == "era":
            s["year_from"], s["year_to"] = value, value + 9
        elif slot == "person":
            s.setdefault("people_include", []).append({"name": value[0], "role": value[1]})
        elif slot == "language":
            s["languages"] = [value]
        elif slot == "runtime":
            s["runtime_max"] = value

    def truthful_constraints(self) -> dict[str, Any]:
        """The stated constraints without a decoy not yet taken back: all true of the target."""
        out = {k: (list(v) if isinstance(v, list) else v) for k, v in self.stated.items()}
        if self.decoy and "genres_all" in out:
            out["genres_all"] = [g for g in out["genres_all"] if g != self.decoy]
            if not out["genres_all"]:
                del out["genres_all"]
        return out

    # -- the dialogue

    def opening(self) -> str:
        """The first message."""
        if self.scenario.opening:
            moves = [Move("opening", detail=self.scenario.opening)]
            return self._say(moves)
        moves = []
        if self.persona == "mind_changer":
            decoy = self._decoy()
            if decoy is not None:
                self.decoy = decoy
                self.stated.setdefault("genres_all", []).append(decoy)
                moves.append(Move("reveal", "genre", decoy))
                self.told.add("genre")
                self.told.add("mood")
        first = self._next()
        if first is not None:
            moves.append(first)
        if self.persona in ("cooperative", "impatient") or (self.decoy and len(moves) < 2):
            second = self._next()
            if second is not None:
                moves.append(second)
        return self._say(moves)

    def _decoy(self) -> str | None:
        common = ("Comedy", "Drama", "Action", "Horror", "Romance", "Thriller")
        options = [g for g in common if g not in self.facts.genres]
        return self.rng.choice(options) if options and self.facts.genres else None

    def respond(self, act: str, item_ids: Sequence[int], catalog: Catalog) -> SimReply:
        """React to the system's turn: its act and the films it showed."""
        targets = set(self.scenario.target_ids)
        for position, item_id in enumerate(item_ids, start=1):
            if item_id in targets:
                return self._reply([Move("accept", position=position)], "accept", done=True)
        moves: list[Move] = []
        if self.decoy and self.turn >= 1:
            moves.append(self._flip())
        if self.turn >= self.patience:
            return self._reply([Move("bye")], "bye", done=True)
        if act.startswith("ask_") and act != "ask_relax" and not moves:
            answer = self._next(ASKED_SLOT.get(act, ()))
            moves.append(answer or Move("reject"))
            return self._reply(moves, "answer" if answer else "reject", done=False)
        if item_ids:
            moves.append(self._reject(list(item_ids), catalog))
            return self._reply(moves, "reject", done=False)
        if not moves:
            move = self._next()
            moves.append(move or Move("reject"))
        return self._reply(moves, "answer", done=False)

    def _flip(self) -> Move:
        decoy, self.decoy = self.decoy, None
        self.stated["genres_all"] = [g for g in self.stated.get("genres_all", []) if g != decoy]
        if not self.stated["genres_all"]:
            del self.stated["genres_all"]
        self.stated.setdefault("genres_none", []).append(decoy)
        self.told.discard("genre")
        true = self._values.get("genre")
        if true is not None:
            self.told.add("genre")
            self._state("genre", true)
        return Move("flip", "genre", true, detail=str(decoy))

    def _reject(self, item_ids: list[int], catalog: Catalog) -> Move:
        if self.persona == "terse" and self.rng.random() < 0.5:
            return Move("reject")
        items = catalog.items(item_ids)
        genre = self._values.get("genre")
        if genre and "genre" not in self.told and items:
            lacking = sum(genre not in i.genres for i in items)
            if lacking * 2 >= len(items):
                return self._as_reason(self._reveal("genre"))
        decade = self._values.get("era")
        years = [i.year for i in items if i.year]
        if decade is not None and "era" not in self.told and years:
            off = sum(not decade <= y <= decade + 9 for y in years)
            if off * 2 >= len(years):
                median = sorted(years)[len(years) // 2]
                era = self._reveal("era")
                return Move("reveal", "era", era.value,
                            detail="older" if median > decade + 9 else "newer")
        following = self._next()
        return self._as_reason(following) if following else Move("reject")

    @staticmethod
    def _as_reason(move: Move) -> Move:
        return Move("reveal", move.slot, move.value, detail="reason")

    def _reply(self, moves: list[Move], feedback: Literal["accept", "reject", "answer", "bye"],
               *, done: bool) -> SimReply:
        if feedback == "reject" or any(m.detail in ("reason", "older", "newer") for m in moves):
            moves = [Move("reject"), *[m for m in moves if m.kind != "reject"]]
        return SimReply(self._say(moves), feedback, done)

    def _say(self, moves: list[Move]) -> str:
        text = self.phraser.phrase(moves, self.history, self.rng)
        self.turn += 1
        self.history.append(("user", text))
        return text

    def heard(self, reply: str) -> None:
        """The system's reply, for phrasers that read the dialogue."""
        self.history.append(("assistant", reply))
