"""What one turn can ground (convrec.agent.claims): the stems, names, genres, years and
numbers of its ledger, liked films, message and cards, and what the user excluded."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from convrec.agent.claims_text import (
    DEFAULT_GENRES,
    GENRE_FORMS,
    ROLE_WORDS,
    decade,
    form_key,
    mentions,
    name_key,
    number,
    runs,
    stem,
    tokens,
)
from convrec.catalog.normalize import word_key


class CardFacts(Protocol):
    """What the checker reads of a recommendation card (convrec.agent.respond.Card)."""

    title: str
    year: int | None
    genres: list[str]
    runtime: int | None
    directors: list[str]
    cast: list[str]
    overview: str
    reason: str


# ----------------------------------------------------------------------------- grounds


@dataclass
class Grounds:
    """What the turn can ground: stems, names, genres, years and numbers (see `build`)."""

    stems: set[str] = field(default_factory=set)
    names: set[tuple[str, ...]] = field(default_factory=set)
    genre_forms: dict[str, str] = field(default_factory=dict)  # a form's stem -> genre
    genres_ok: set[str] = field(default_factory=set)
    years: set[int] = field(default_factory=set)
    era: tuple[int | None, int | None] = (None, None)
    card_years: list[int] = field(default_factory=list)
    decades_said: set[int] = field(default_factory=set)
    numbers: set[float] = field(default_factory=set)
    excluded_stems: set[str] = field(default_factory=set)
    excluded_names: set[tuple[str, ...]] = field(default_factory=set)
    excluded_genres: set[str] = field(default_factory=set)
    genre_titles: dict[str, set[tuple[str, ...]]] = field(default_factory=dict)

    @classmethod
    def build(cls, *, ledger: Any = None, cards: Sequence[CardFacts] = (), message: str = "",
              liked_titles: Iterable[str] = (), genres: Iterable[str] = DEFAULT_GENRES
              ) -> Grounds:
        """The grounds of one turn. `ledger` is a convrec.agent.ledger.Ledger (or None),
        `liked_titles` the titles of the films it marks liked, `genres` the catalog's."""
        g = cls()
        for genre in genres:
            for form in (genre.lower(), *GENRE_FORMS.get(genre, ())):
                g.genre_forms[form_key(form)] = genre
        texts = [message, *liked_titles]
        people: list[str] = []
        titles: list[str] = list(liked_titles)
        if ledger is not None:
            g._add_ledger(ledger, texts, people)
        g._add_cards(cards, texts, titles, people)
        texts += titles + people
        for text in texts:
            toks = tokens(text)
            g.stems |= {stem(t.text) for t in toks}
            for t in toks:
                value, years = number(t.text), decade(t.text)
                if value is not None:
                    g.numbers.add(value)
                if years is not None and text == message:
                    g.decades_said.add(years)
            g.names |= {tuple(word_key(t.text) for t in run) for run in runs(toks, all_runs=True)}
        for form, genre in g.genre_forms.items():
            if genre in g.genres_ok or (form and mentions(message, form)):
                g.genres_ok.add(genre)
        for title in titles:
            # a title and each of its parts ("The Messenger: The Story of Joan of Arc" names
            # "Story of Joan of Arc" too, as a line of the list may wrap or split it)
            for piece in [title, *re.split(r"\s*[:–—]\s*|\s+-\s+", title)]:
                key = name_key(piece)
                g.names.add(key)
                if key and key[0] in ("the", "a", "an"):
                    g.names.add(key[1:])
        for person in people:
            g.names |= _person_keys(person)
        for genre in g.genre_forms.values():
            g.names.add(name_key(genre))
        g.excluded_stems |= {k for k, v in g.genre_forms.items() if v in g.excluded_genres}
        g.names.discard(())
        return g

    def _add_ledger(self, ledger: Any, texts: list[str], people: list[str]) -> None:
        """The ledger's chips, wishes, context and named people as texts to ground; its
        genres, exclusions and era."""
        texts += [c.label for c in ledger.chips() if c.hard or not c.label.startswith(
            "rather not")]
        texts += [w.text for w in ledger.wishes] + [ledger.context or ""]
        texts += [*ledger.keywords_include, *ledger.studios_include, *ledger.languages]
        people += [p.name for p in ledger.people_include.values()]
        self.genres_ok |= set(ledger.genres_include)
        self.genres_ok |= {p.value for p in ledger.soft.values()
                           if p.kind == "genre" and p.polarity > 0}
        self.excluded_genres |= set(ledger.genres_exclude)
        self.excluded_genres |= {p.value for p in ledger.soft.values()
                                 if p.kind == "genre" and p.polarity < 0}
        for bad in (*ledger.keywords_exclude, *ledger.studios_exclude):
            self.excluded_stems |= {stem(t.text) for t in tokens(bad)}
            self.excluded_names.add(name_key(bad))
        for pref in ledger.people_exclude.values():
            self.excluded_names |= _person_keys(pref.name)
        low = int(ledger.year_from.value) if ledger.year_from else None
        high = int(ledger.year_to.value) if ledger.year_to else None
        self.era = (low, high)
        self.years |= {y for y in (low, high) if y is not None}

    def _add_cards(self, cards: Sequence[CardFacts], texts: list[str], titles: list[str],
                   people: list[str]) -> None:
        """The cards' titles, people, text fields, years and runtimes; a genre most cards
        share is grounded."""
        for card in cards:
            # the fields say how the people relate to the film
            texts += [ROLE_WORDS["directors"]] if card.directors else []
            texts += [ROLE_WORDS["cast"]] if card.cast else []
            titles.append(card.title)
            for genre in card.genres:
                self.genre_titles.setdefault(genre, set()).add(name_key(card.title))
            people += [*card.directors, *card.cast]
            texts += [card.title, card.overview, card.reason, " ".join(card.genres)]
            if card.year:
                self.years.add(card.year)
                self.card_years.append(card.year)
            if card.runtime:
                self.numbers.add(float(card.runtime))
        if cards:
            self.numbers.add(float(len(cards)))
            for genre in {x for c in cards for x in c.genres}:
                if 2 * sum(genre in c.genres for c in cards) >= len(cards):
                    self.genres_ok.add(genre)


def _person_keys(name: str) -> set[tuple[str, ...]]:
    key = name_key(name)
    return {key, key[-1:]} if len(key) > 1 else {key}
