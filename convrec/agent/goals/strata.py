"""Candidates spread over the values a plan must keep distinct (decade, genre, language).

A ranker's top films bunch: its best forty are mostly from three decades and two genres,
so "each from a different decade" over them cannot be met. For a plan that must be
distinct in decade or genre, each sub-goal also searches every decade (or genre) on its
own, under its own constraints; the solver then picks across them.
"""

from __future__ import annotations

from convrec.agent.goals.types import Distinct
from convrec.agent.ledger import Ledger, Stamped
from convrec.tools.context import ToolContext
from convrec.tools.filters import LANGUAGE_NAMES, get_vocab

STRATUM_DEPTH = 6
MAX_GENRES = 10
MIN_VOTES = 50  # a genre counts when this many well-known films have it


def strata(ledger: Ledger, distinct: Distinct | None, ctx: ToolContext
           ) -> list[tuple[str, Ledger]]:
    """(label, ledger) for each decade or genre the sub-goal's own constraints allow."""
    if distinct == "decade":
        return _decades(ledger, ctx)
    if distinct == "genre":
        return _genres(ledger, ctx)
    if distinct == "language":
        return _languages(ledger, ctx)
    return []


def _decades(ledger: Ledger, ctx: ToolContext) -> list[tuple[str, Ledger]]:
    years = [f.year for f in get_vocab(ctx).films.values() if f.year]
    if not years:
        return []
    low = int(ledger.year_from.value) if ledger.year_from else min(years)
    high = int(ledger.year_to.value) if ledger.year_to else max(years)
    out = []
    for decade in range(low // 10 * 10, high + 1, 10):
        start, end = max(low, decade), min(high, decade + 9)
        turn = ledger.year_from.turn if ledger.year_from else 0
        narrowed = ledger.model_copy(update={"year_from": Stamped(value=start, turn=turn),
                                             "year_to": Stamped(value=end, turn=turn)})
        out.append((f"{decade}s", narrowed))
    return out


def _genres(ledger: Ledger, ctx: ToolContext) -> list[tuple[str, Ledger]]:
    vocab = get_vocab(ctx)
    names = {v: k for k, v in vocab.genre_ids.items()}
    counts: dict[str, int] = {}
    for film in vocab.films.values():
        if film.votes >= MIN_VOTES:
            for g in film.genre_ids:
                counts[names[g]] = counts.get(names[g], 0) + 1
    allowed = list(ledger.genres_include) or sorted(counts, key=lambda g: -counts[g])
    allowed = [g for g in allowed if g not in ledger.genres_exclude
               and g not in ("TV Movie", "Foreign")][:MAX_GENRES]
    out = []
    for genre in allowed:
        narrowed = ledger.model_copy(update={"genres_include": {genre: 0}, "genre_mode": "any"})
        out.append((genre, narrowed))
    return out


def _languages(ledger: Ledger, ctx: ToolContext) -> list[tuple[str, Ledger]]:
    if ledger.languages:
        allowed = list(ledger.languages)
    else:
        counts: dict[str, int] = {}
        for film in get_vocab(ctx).films.values():
            if film.language and film.votes >= MIN_VOTES:
                counts[film.language] = counts.get(film.language, 0) + 1
        codes = sorted(counts, key=lambda c: -counts[c])[:MAX_GENRES]
        allowed = [LANGUAGE_NAMES.get(c, c) for c in codes]
    return [(name, ledger.model_copy(update={"languages": {name: 0}})) for name in allowed]
