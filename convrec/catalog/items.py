"""One canonical item per film, merged across MovieLens, TMDB 5000 and ReDial.

Merge rules, in order (each source only ever joins an item, never splits one):
- MovieLens: every movieId maps to an item. Two movieIds that links.csv gives the
  same tmdbId are one film (ml-latest-small has such duplicates). Same title and
  year alone is NOT enough: "Emma (1996)" is a feature and a TV film.
- TMDB: joins the item whose MovieLens link has its id; else the single item with
  the same normalised title (or original title) and year that has no TMDB data
  yet; else it becomes an item of its own.
- ReDial: joins the item of its linked MovieLens id, else of its TMDB id, else the
  single item with the same normalised title and year; else it becomes an item of
  its own (title and year only), so every film a dialogue mentions is rankable.
Ambiguous title+year matches (two candidates) never merge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from convrec.catalog.normalize import norm_title
from convrec.catalog.schema import REDIAL_ID_BASE, TMDB_ID_BASE


@dataclass
class Item:
    item_id: int
    title: str
    year: int | None
    source: str
    ml_movie_id: int | None = None
    tmdb_id: int | None = None
    imdb_id: str | None = None
    has_tmdb: bool = False
    fields: dict[str, Any] = field(default_factory=dict)
    titles: dict[str, tuple[str, str]] = field(default_factory=dict)  # norm -> (title, kind)
    genres: dict[str, str] = field(default_factory=dict)  # genre -> source

    @property
    def norm(self) -> str:
        return norm_title(self.title)

    def add_title(self, title: str, kind: str) -> None:
        title = re.sub(r"\s+", " ", str(title)).strip()
        key = norm_title(title)
        if title and key and key not in self.titles:
            self.titles[key] = (title, kind)

    def add_genre(self, genre: str, source: str) -> None:
        previous = self.genres.get(genre)
        self.genres[genre] = source if previous in (None, source) else "both"


@dataclass
class ItemTable:
    """The items being built, with the indexes the merge rules need."""

    items: dict[int, Item] = field(default_factory=dict)
    by_ml: dict[int, int] = field(default_factory=dict)
    by_tmdb: dict[int, int] = field(default_factory=dict)
    by_redial: dict[int, int] = field(default_factory=dict)
    by_title_year: dict[tuple[str, int], set[int]] = field(default_factory=dict)
    redial_yearless: dict[str, int] = field(default_factory=dict)
    sources: list[tuple[str, str, int]] = field(default_factory=list)
    merged_ml_duplicates: int = 0
    tmdb_merged_by_title: int = 0
    redial_merged_by_title: int = 0

    def _index_title(self, item: Item, title: str) -> None:
        key = norm_title(title)
        if key and item.year is not None:
            self.by_title_year.setdefault((key, item.year), set()).add(item.item_id)

    def _unique_title_match(self, titles: list[str], year: int | None) -> int | None:
        if year is None:
            return None
        found: set[int] = set()
        for title in titles:
            found |= self.by_title_year.get((norm_title(title), year), set())
        return next(iter(found)) if len(found) == 1 else None

    def _new(self, item: Item) -> Item:
        self.items[item.item_id] = item
        item.add_title(item.title, "display")
        self._index_title(item, item.title)
        return item

    def add_movielens(
        self,
        ml_id: int,
        title: str,
        year: int | None,
        aliases: list[str],
        tmdb_id: int | None,
        imdb_id: str | None,
    ) -> Item:
        existing = self.by_tmdb.get(tmdb_id) if tmdb_id is not None else None
        if existing is not None:
            item = self.items[existing]
            self.merged_ml_duplicates += 1
        else:
            item = self._new(Item(ml_id, title, year, "movielens", ml_movie_id=ml_id))
            item.tmdb_id, item.imdb_id = tmdb_id, imdb_id
            if tmdb_id is not None:
                self.by_tmdb[tmdb_id] = item.item_id
        self.by_ml[ml_id] = item.item_id
        self.sources.append(("movielens", str(ml_id), item.item_id))
        if imdb_id:
            self.sources.append(("imdb", imdb_id, item.item_id))
        for alias in aliases:
            item.add_title(alias, "alias")
            self._index_title(item, alias)
        return item

    def attach_tmdb(
        self, tmdb_id: int, title: str, original_title: str, year: int | None
    ) -> Item:
        """The item a TMDB-5000 film belongs to, created when no item matches."""
        item_id = self.by_tmdb.get(tmdb_id)
        if item_id is None:
            candidate = self._unique_title_match([title, original_title], year)
            if candidate is not None and not self.items[candidate].has_tmdb:
                item_id = candidate
                self.tmdb_merged_by_title += 1
        if item_id is None:
            item = self._new(Item(TMDB_ID_BASE + tmdb_id, title, year, "tmdb"))
        else:
            item = self.items[item_id]
            if item.year is None and year is not None:
                item.year = year
                self._index_title(item, item.title)
        if item.tmdb_id is not None and item.tmdb_id != tmdb_id:
            # MovieLens linked another TMDB id (absent from TMDB 5000); keep both names.
            self.sources.append(("tmdb", str(item.tmdb_id), item.item_id))
        item.tmdb_id = tmdb_id
        item.has_tmdb = True
        self.by_tmdb[tmdb_id] = item.item_id
        item.add_title(title, "display")
        item.add_title(original_title, "original")
        self._index_title(item, title)
        self._index_title(item, original_title)
        return item

    def attach_redial(
        self,
        redial_id: int,
        name: str,
        year: int | None,
        ml_id: int | None,
        tmdb_id: int | None,
    ) -> Item:
        title = re.sub(r"\s+", " ", name).strip()
        item_id = None
        if ml_id is not None:
            item_id = self.by_ml.get(ml_id)
        if item_id is None and tmdb_id is not None:
            item_id = self.by_tmdb.get(tmdb_id)
        if item_id is None:
            item_id = self._unique_title_match([title], year)
            if item_id is not None:
                self.redial_merged_by_title += 1
        if item_id is None and year is None:
            # Year-less names merge only with an identical year-less ReDial film.
            item_id = self.redial_yearless.get(norm_title(title))
            if item_id is not None:
                self.redial_merged_by_title += 1
        item = (
            self.items[item_id]
            if item_id is not None
            else self._new(Item(REDIAL_ID_BASE + redial_id, title, year, "redial"))
        )
        if item.source == "redial" and year is None:
            self.redial_yearless.setdefault(norm_title(title), item.item_id)
        item.add_title(title, "redial")
        self.by_redial[redial_id] = item.item_id
        self.sources.append(("redial", str(redial_id), item.item_id))
        return item

    def finish_sources(self) -> list[tuple[str, str, int]]:
        """Source-id rows, each (source, id) once, with every item's TMDB id included."""
        rows = dict.fromkeys(self.sources)
        for item in self.items.values():
            if item.tmdb_id is not None:
                rows[("tmdb", str(item.tmdb_id), item.item_id)] = None
        seen: dict[tuple[str, str], int] = {}
        for source, source_id, item_id in rows:
            seen.setdefault((source, source_id), item_id)
        return [(s, sid, iid) for (s, sid), iid in seen.items()]
