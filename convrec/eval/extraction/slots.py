"""Reading an extraction and a ledger as plain sets of slot values, for comparison.

A hard constraint is what the ledger holds after the turn (it filters films); a slot value
the extractor *predicted* is anything it produced for the slot, hard or soft, included,
excluded or allowed. Soft preferences and `pending` confirmations are read with getattr:
the extractor before the rewrite has neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from convrec.agent.ledger import Ledger
from convrec.catalog.normalize import person_key, vocab_key


@dataclass(frozen=True)
class Hard:
    """The hard constraints of a ledger, by slot."""

    genres_include: frozenset[str] = frozenset()
    genres_exclude: frozenset[str] = frozenset()
    people_include: tuple[str, ...] = ()  # names as the ledger holds them
    people_exclude: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    runtime_min: int | None = None
    runtime_max: int | None = None
    languages: frozenset[str] = frozenset()
    min_rating: float | None = None
    keywords_include: frozenset[str] = frozenset()
    keywords_exclude: frozenset[str] = frozenset()
    studios_include: frozenset[str] = frozenset()
    studios_exclude: frozenset[str] = frozenset()
    genre_mode: str = "any"

    def any(self) -> bool:
        return bool(self.described())

    def described(self) -> list[str]:
        """Every hard constraint as a short readable string (for failure listings)."""
        out = [f"genre {g}" for g in sorted(self.genres_include)]
        out += [f"no genre {g}" for g in sorted(self.genres_exclude)]
        out += [f"person {p}" for p in self.people_include]
        out += [f"no person {p}" for p in self.people_exclude]
        for name in ("year_from", "year_to", "runtime_min", "runtime_max", "min_rating"):
            value = getattr(self, name)
            if value is not None:
                out.append(f"{name} {value:g}")
        out += [f"language {x}" for x in sorted(self.languages)]
        out += [f"keyword {k}" for k in sorted(self.keywords_include)]
        out += [f"no keyword {k}" for k in sorted(self.keywords_exclude)]
        out += [f"studio {s}" for s in sorted(self.studios_include)]
        out += [f"no studio {s}" for s in sorted(self.studios_exclude)]
        return out


def _value(stamped: Any) -> Any:
    return None if stamped is None else stamped.value


def hard_of(ledger: Ledger) -> Hard:
    """The ledger's hard constraints."""
    return Hard(
        genres_include=frozenset(ledger.genres_include),
        genres_exclude=frozenset(ledger.genres_exclude),
        people_include=tuple(p.name for p in ledger.people_include.values()),
        people_exclude=tuple(p.name for p in ledger.people_exclude.values()),
        year_from=_value(ledger.year_from), year_to=_value(ledger.year_to),
        runtime_min=_value(ledger.runtime_min), runtime_max=_value(ledger.runtime_max),
        languages=frozenset(ledger.languages), min_rating=_value(ledger.min_rating),
        keywords_include=frozenset(ledger.keywords_include),
        keywords_exclude=frozenset(ledger.keywords_exclude),
        studios_include=frozenset(ledger.studios_include),
        studios_exclude=frozenset(ledger.studios_exclude),
        genre_mode=ledger.genre_mode,
    )


@dataclass(frozen=True)
class Soft:
    """One soft preference as a comparable value: kind, value (or range), polarity."""

    kind: str
    value: str
    polarity: int
    low: float | None = None
    high: float | None = None


def soft_of(prefs: Any) -> list[Soft]:
    """Soft preferences (SoftPreference or the ledger's SoftPref) as `Soft` values."""
    return [Soft(p.kind, str(p.value), int(p.polarity), p.low, p.high) for p in prefs]


def ledger_soft(ledger: Ledger) -> list[Soft]:
    return soft_of(getattr(ledger, "soft", {}).values())


def update_soft(update: Any) -> list[Soft]:
    return soft_of(getattr(update, "soft", []))


@dataclass
class Predicted:
    """What one extraction says about genres, people and films, hard or soft."""

    genres: set[str] = field(default_factory=set)
    people: set[str] = field(default_factory=set)
    films: set[int] = field(default_factory=set)


def predicted_of(extraction: Any) -> Predicted:
    """Every genre in genres_include / genres_exclude / genres_allow and every soft genre
    (any polarity); people likewise; films: every mentioned item id (any sentiment)."""
    update = extraction.update
    soft = update_soft(update)
    genres = {*update.genres_include, *update.genres_exclude,
              *getattr(update, "genres_allow", [])}
    genres |= {s.value for s in soft if s.kind == "genre"}
    people = {p.name for p in (*update.people_include, *update.people_exclude)}
    people |= set(getattr(update, "people_allow", []))
    people |= {s.value for s in soft if s.kind == "person"}
    films = {m.item_id for m in extraction.mentions}
    return Predicted(genres, people, films)


def person_matches(predicted: str, annotated: str) -> bool:
    """A predicted person is the annotated one: the same person_key, or the annotation is
    the predicted person's surname ("Sandler" for Adam Sandler)."""
    pk, ak = person_key(predicted), person_key(annotated)
    if not pk or not ak:
        return False
    if pk == ak:
        return True
    words = predicted.replace(".", " ").split()
    return len(annotated.split()) == 1 and bool(words) and person_key(words[-1]) == ak


def same_term(a: str, b: str) -> bool:
    """Keywords, languages and soft values compared without case, accents or punctuation."""
    return vocab_key(a) == vocab_key(b)


def term_overlaps(a: str, b: str) -> bool:
    """A keyword exclusion and a judged refused subject name the same thing: equal, or one
    inside the other ("spider man" / "spider-man movies")."""
    x, y = vocab_key(a), vocab_key(b)
    return bool(x and y) and (x == y or x in y or y in x)
