"""lookup_items: the facts of a film named by id or by (possibly misspelt) title.

Titles are matched with rapidfuzz against every known title of every film
(display, original, aliases, ReDial spellings: the item_titles table), on keys
made with norm_title after dropping a leading article, so "Matrix", "The Matrix"
and "Matrix, The" are one key. The index is built once per Resources.

A title that names several films ("Hamlet", "Emma", "War of the Worlds") is
ambiguous: every close candidate comes back with its year and director and a
note, so the agent can ask which one is meant. A year (given, or written in the
title: "Heat 1995", "Heat (1995)") breaks ties and may be off by one. A title
with nothing close gives no items and a note, not an error: the user may have
made the film up.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from pydantic import Field, model_validator
from rapidfuzz import fuzz, process

from convrec.catalog.db import Catalog
from convrec.catalog.normalize import split_year, title_key
from convrec.catalog.records import Item
from convrec.tools.base import ScoredItem, ToolArgs, ToolArgumentError, ToolOutput
from convrec.tools.context import ToolContext

TOOL = "lookup_items"
INDEX_RESOURCE = "lookup_titles"

MIN_SCORE = 0.78  # below this a title is not a match
CLOSE = 0.03  # candidates this close to the best are equally good answers
MAX_AMBIGUOUS = 20
OVERVIEW_CHARS = 200
TOP_CAST = 4


class LookupArgs(ToolArgs):
    """Name a film by catalog id or by title (exactly one)."""

    item_id: int | None = Field(None, description="Catalog id of the film.")
    title: str | None = Field(
        None,
        max_length=300,
        description="The film's title as the user wrote it, e.g. 'Heat' or 'Heat (1995)'; "
        "misspellings, alternative and original titles are fine.",
    )
    year: int | None = Field(
        None, ge=1870, le=2100, description="Release year if the user gave one (may be off by one)."
    )
    limit: int = Field(5, ge=1, le=50, description="Most films to return for a title.")

    @model_validator(mode="after")
    def _one_way(self) -> LookupArgs:
        if (self.item_id is None) == (self.title is None):
            raise ValueError("give exactly one of item_id or title")
        if self.year is not None and self.title is None:
            raise ValueError("year only goes with a title")
        return self


# ----------------------------------------------------------------------------- title index

_BARE_YEAR = re.compile(r"^(.*\S)\s+(\d{4})$")


@dataclass(frozen=True)
class TitleIndex:
    keys: list[str]  # unique match keys
    titles: dict[str, tuple[tuple[int, str, str], ...]]  # key -> (item_id, title, kind)
    years: dict[int, int | None]
    popularity: dict[int, float]  # 0-1, to order equally good matches

    def __len__(self) -> int:
        return len(self.years)


def load_title_index(catalog: Catalog) -> TitleIndex:
    titles: dict[str, list[tuple[int, str, str]]] = {}
    years: dict[int, int | None] = {}
    votes: dict[int, tuple[int, int]] = {}
    rows = catalog.query(
        "SELECT t.item_id, t.title, t.kind, i.year, i.vote_count, i.rating_count "
        "FROM item_titles t JOIN items i ON i.item_id = t.item_id ORDER BY t.item_id"
    )
    for item_id, title, kind, year, vote_count, rating_count in rows:
        key = title_key(title)
        if key:
            titles.setdefault(key, []).append((item_id, title, kind))
        years[item_id] = year
        votes[item_id] = (vote_count or 0, rating_count or 0)
    return TitleIndex(
        keys=list(titles),
        titles={k: tuple(v) for k, v in titles.items()},
        years=years,
        popularity=_popularity(votes),
    )


def _popularity(votes: dict[int, tuple[int, int]]) -> dict[int, float]:
    """log1p(votes) over the source's maximum, the larger of TMDB and MovieLens.

    TMDB vote counts and MovieLens rating counts are on different scales (~14k vs
    ~330 at most), so each is compared with its own source.
    """
    top_tmdb = math.log1p(max((v for v, _ in votes.values()), default=0)) or 1.0
    top_ml = math.log1p(max((r for _, r in votes.values()), default=0)) or 1.0
    return {
        item_id: max(math.log1p(v) / top_tmdb, math.log1p(r) / top_ml)
        for item_id, (v, r) in votes.items()
    }


def get_title_index(ctx: ToolContext) -> TitleIndex:
    return ctx.resources.get(INDEX_RESOURCE, lambda: load_title_index(ctx.catalog))


# ----------------------------------------------------------------------------- matching


@dataclass(frozen=True)
class Match:
    item_id: int
    score: float  # 0-1: title similarity, times a year factor when a year was given
    title: str  # the title that matched
    kind: str  # display | original | alias | redial


def parse_title(title: str, year: int | None) -> list[tuple[str, int | None]]:
    """Match keys, each with its year hint: 'Heat (1995)' and 'Heat 1995' carry a year.

    A bare trailing number may be part of the title ("Blade Runner 2049", "Death Race
    2000"), so the full text is a second key, without that year as a hint.
    """
    name, written = split_year(title)
    keys: list[tuple[str, int | None]] = [(title_key(name), year or written)]
    bare = _BARE_YEAR.match(title.strip())
    if written is None and bare and 1870 <= int(bare.group(2)) <= 2100:
        keys = [(title_key(bare.group(1)), year or int(bare.group(2))), (title_key(title), year)]
    return [(key, hint) for key, hint in keys if key]


def similarities(key: str, index: TitleIndex) -> dict[str, float]:
    """Index keys similar to `key`, 0-100.

    Edit similarity (ratio) catches misspellings. A title the user shortened
    ("Lord of the Rings" for "The Lord of the Rings: The Fellowship of the Ring")
    is found by partial_ratio, scaled by 0.9 so a full match ranks first; only in
    that direction (a short title inside a long query is not a match) and only for
    keys of 4+ characters, where a substring means something.
    """
    found = {
        hit: score
        for hit, score, _ in process.extract(
            key, index.keys, scorer=fuzz.ratio, limit=50, score_cutoff=60
        )
    }
    if len(key) >= 4:
        for hit, score, _ in process.extract(
            key, index.keys, scorer=fuzz.partial_ratio, limit=None, score_cutoff=90
        ):
            if len(hit) > len(key):
                found[hit] = max(found.get(hit, 0.0), 0.9 * score)
    return found


def year_factor(hint: int | None, year: int | None) -> float:
    """1 without a hint or on the year; off by one is nearly as good; unknown, then wrong."""
    if hint is None or year == hint:
        return 1.0
    if year is None:
        return 0.9
    return 0.98 if abs(year - hint) == 1 else 0.8


def match_titles(title: str, year: int | None, index: TitleIndex) -> list[Match]:
    """Every film with a title close to `title`, best first (score, then popularity)."""
    best: dict[int, Match] = {}
    for key, hint in parse_title(title, year):
        for hit, score in similarities(key, index).items():
            for item_id, shown, kind in index.titles[hit]:
                value = round(score / 100 * year_factor(hint, index.years[item_id]), 4)
                if item_id not in best or value > best[item_id].score:
                    best[item_id] = Match(item_id, value, shown, kind)
    return sorted(best.values(), key=lambda m: (-m.score, -index.popularity[m.item_id], m.item_id))


# ----------------------------------------------------------------------------- evidence


def _trim(text: str, limit: int = OVERVIEW_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _rating(item: Item) -> str | None:
    if item.vote_count and item.vote_average is not None:
        return f"rated {item.vote_average:.1f}/10 (TMDB, {item.vote_count:,} votes)"
    if item.rating_count and item.rating_mean is not None:
        return f"rated {item.rating_mean:.1f}/5 (MovieLens, {item.rating_count:,} ratings)"
    return None


def facts(item: Item) -> list[str]:
    """The film's facts as evidence strings: title, year, runtime, people, genres, overview."""
    out = [f"title: {item.title}"]
    if item.year:
        out.append(f"year: {item.year}")
    if item.runtime:
        out.append(f"runtime: {item.runtime} min")
    if item.directors:
        out.append("directed by " + ", ".join(p.name for p in item.directors))
    if item.cast:
        out.append("starring " + ", ".join(p.name for p in item.cast[:TOP_CAST]))
    if item.genres:
        out.append("genres: " + ", ".join(item.genres))
    rating = _rating(item)
    if rating:
        out.append(rating)
    if item.overview:
        out.append("overview: " + _trim(item.overview))
    return out


def _label(item: Item) -> str:
    """'Emma (1996, Douglas McGrath)': how candidates are told apart."""
    details = [str(item.year)] if item.year else []
    if item.directors:
        details.append(", ".join(p.name for p in item.directors[:2]))
    elif item.cast:
        details.append(f"with {item.cast[0].name}")
    return f"{item.title} ({', '.join(details)})" if details else item.title


def _labels(items: list[Item]) -> list[str]:
    """Labels of candidates, with the catalog id added where two would read the same."""
    labels = [_label(i) for i in items]
    return [
        f"{label} [id {item.item_id}]" if labels.count(label) > 1 else label
        for label, item in zip(labels, items, strict=True)
    ]


# ----------------------------------------------------------------------------- the tool


def lookup_items(args: LookupArgs, ctx: ToolContext) -> ToolOutput:
    """Facts about a film named by id, or the films whose title is closest to a title.

    By title, items are scored by title similarity (0-1, times a year factor when a
    year is known) and carry their facts as evidence. When several films are equally
    close the title is ambiguous: all of them come back and a note says so.
    """
    if args.item_id is not None:
        return _by_id(args.item_id, ctx)
    title = args.title or ""
    if not title:
        raise ToolArgumentError("empty title: give the film's title or its catalog id")
    return _by_title(title, args, ctx)


def _by_id(item_id: int, ctx: ToolContext) -> ToolOutput:
    item = ctx.catalog.item(item_id)
    if item is None:
        raise ToolArgumentError(f"no film with catalog id {item_id}")
    return ToolOutput(
        tool=TOOL,
        items=[ScoredItem(item_id=item.item_id, score=1.0, evidence=facts(item))],
        trace=f"lookup: id {item_id} -> {item.label}",
    )


def _by_title(title: str, args: LookupArgs, ctx: ToolContext) -> ToolOutput:
    index = get_title_index(ctx)
    matches = match_titles(title, args.year, index)
    good = [m for m in matches if m.score >= MIN_SCORE]
    trace = f"lookup: {len(index):,} films -> {len(good):,} matching {title[:60]!r}"
    if not good:
        return ToolOutput(tool=TOOL, trace=trace, notes=[_no_match_note(title, matches, ctx)])
    close = [m for m in good if m.score >= good[0].score - CLOSE]
    shown = close[:MAX_AMBIGUOUS] if len(close) > 1 else good[: args.limit]
    if len(close) > 1 and len(shown) < args.limit:
        shown = good[: args.limit]
    items = {item.item_id: item for item in ctx.catalog.items(m.item_id for m in shown)}
    notes = _ambiguity_notes(title, close, items) if len(close) > 1 else []
    return ToolOutput(
        tool=TOOL,
        items=[_scored(m, items[m.item_id]) for m in shown if m.item_id in items],
        trace=trace,
        notes=notes,
    )


def _scored(match: Match, item: Item) -> ScoredItem:
    evidence = facts(item)
    if title_key(match.title) != title_key(item.title):
        evidence.insert(1, f"also known as: {match.title} ({match.kind} title)")
    evidence.append(f"title match: {match.score:.0%}")
    return ScoredItem(item_id=item.item_id, score=match.score, evidence=evidence)


def _ambiguity_notes(title: str, close: list[Match], items: dict[int, Item]) -> list[str]:
    named = _labels([items[m.item_id] for m in close[:MAX_AMBIGUOUS] if m.item_id in items])
    more = f" and {len(close) - len(named)} more" if len(close) > len(named) else ""
    return [
        f"{title[:80]!r} is ambiguous: {len(close)} films match equally well: "
        f"{'; '.join(named)}{more}. Ask which one (they are listed best known first)."
    ]


def _no_match_note(title: str, matches: list[Match], ctx: ToolContext) -> str:
    note = f"no film in the catalog matches {title[:80]!r}"
    weak = ctx.catalog.items(m.item_id for m in matches[:3])
    if weak:
        note += "; the nearest titles are only weak matches: " + ", ".join(i.label for i in weak)
    return note
