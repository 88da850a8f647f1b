"""The vocabularies names are resolved against, and each film's facts: read once per Resources."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from convrec.catalog.db import Catalog
from convrec.catalog.normalize import canonical_genre, person_key, studio_keys, vocab_key
from convrec.tools.context import ToolContext
from convrec.tools.filters.prior import PopularityPrior
from convrec.tools.filters.sql import _ITEM_EXPR, _RATING_SOURCE_SQL

VOCAB_RESOURCE = "filter_vocab"


@dataclass(frozen=True, slots=True)
class Film:
    """The facts of one film that evidence, violations and the score need.

    Kept in memory per Resources so the filter query itself only returns ids: reading
    these columns from `items` rows (which carry long overviews) would cost more than
    the whole filter.
    """

    year: int | None
    runtime: int | None
    language: str | None
    rating: float | None  # 0-10, from the film's rating source
    votes: int
    genre_ids: frozenset[int]
    prior: float  # PopularityPrior, the score filter_items gives the film


@dataclass(frozen=True)
class FilterVocab:
    """Everything names are resolved against, plus per-film facts; read once per Resources."""

    films: dict[int, Film]
    genre_ids: dict[str, int]  # canonical name -> id
    genre_keys: dict[str, str]  # vocab_key of a name or alias -> canonical name
    languages: dict[str, int]  # code present in the catalog -> number of films
    people: dict[str, tuple[int, ...]]  # person_key -> person ids
    person_names: dict[int, str]
    person_keys: list[str]
    credit_counts: dict[int, int]  # person id -> number of credits (fame, for ranking)
    keywords: dict[str, tuple[int, ...]]  # vocab_key -> keyword ids
    tags: dict[str, tuple[str, ...]]  # vocab_key -> tags as stored
    term_names: dict[str, str]  # vocab_key -> a display form (keywords and tags)
    studios: dict[str, tuple[int, ...]] = field(default_factory=dict)  # studio key -> companies
    studio_names: dict[str, str] = field(default_factory=dict)  # studio key -> display form

    @property
    def n_items(self) -> int:
        return len(self.films)


def load_vocab(catalog: Catalog) -> FilterVocab:
    genre_ids = {r[1]: r[0] for r in catalog.query("SELECT genre_id, name FROM genres")}
    people: dict[str, list[int]] = {}
    person_names: dict[int, str] = {}
    for row in catalog.query("SELECT person_id, name FROM people ORDER BY person_id"):
        person_names[row[0]] = row[1]
        people.setdefault(person_key(row[1]), []).append(row[0])
    keywords: dict[str, list[int]] = {}
    term_names: dict[str, str] = {}
    for row in catalog.query("SELECT keyword_id, name FROM keywords ORDER BY keyword_id"):
        key = vocab_key(row[1])
        if key:
            keywords.setdefault(key, []).append(row[0])
            term_names.setdefault(key, row[1])
    tags: dict[str, list[str]] = {}
    for row in catalog.query("SELECT DISTINCT tag FROM tags ORDER BY tag"):
        key = vocab_key(row[0])
        if key:
            tags.setdefault(key, []).append(row[0])
            term_names.setdefault(key, row[0])
    studios, studio_names = _load_studios(catalog)
    films = _load_films(catalog)
    languages: dict[str, int] = {}
    for film in films.values():
        if film.language is not None:
            languages[film.language] = languages.get(film.language, 0) + 1
    return FilterVocab(
        films=films,
        genre_ids=genre_ids,
        genre_keys=_genre_keys(genre_ids),
        languages=languages,
        people={k: tuple(v) for k, v in people.items()},
        person_names=person_names,
        person_keys=list(people),
        credit_counts={r[0]: r[1] for r in catalog.query(
            "SELECT person_id, COUNT(*) FROM credits GROUP BY person_id")},
        keywords={k: tuple(v) for k, v in keywords.items()},
        tags={k: tuple(v) for k, v in tags.items()},
        term_names=term_names,
        studios=studios,
        studio_names=studio_names,
    )


def _load_studios(catalog: Catalog) -> tuple[dict[str, tuple[int, ...]], dict[str, str]]:
    try:
        rows = catalog.query("SELECT company_id, name FROM companies ORDER BY company_id")
    except Exception:  # a catalog built before companies were ingested
        return {}, {}
    studios: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    for company_id, name in rows:
        for key in studio_keys(name):
            studios.setdefault(key, []).append(company_id)
            names.setdefault(key, name if key == vocab_key(name) else key.title())
    return {k: tuple(v) for k, v in studios.items()}, names


def _genre_keys(genre_ids: Mapping[str, int]) -> dict[str, str]:
    keys = {vocab_key(name): name for name in genre_ids}
    for alias in ("sci-fi", "science fiction", "children", "children's", "film-noir", "tv movie"):
        target = canonical_genre(alias)
        if target is not None and target in genre_ids:
            keys.setdefault(vocab_key(alias), target)
    return keys


def _load_films(catalog: Catalog) -> dict[int, Film]:
    genres: dict[int, set[int]] = {}
    for item_id, genre_id in catalog.query("SELECT item_id, genre_id FROM item_genres"):
        genres.setdefault(item_id, set()).add(genre_id)
    rows = catalog.query(
        f"SELECT items.item_id, items.year, items.runtime, items.original_language, "
        f"{_ITEM_EXPR['rating']}, {_ITEM_EXPR['votes']}, {_RATING_SOURCE_SQL} FROM items"
    )
    prior = PopularityPrior.fit((r[4], r[5], r[6]) for r in rows)
    return {
        r[0]: Film(
            year=r[1], runtime=r[2], language=r[3], rating=r[4], votes=int(r[5] or 0),
            genre_ids=frozenset(genres.get(r[0], ())), prior=prior(r[4], r[5], r[6]),
        )
        for r in rows
    }

def get_vocab(ctx: ToolContext) -> FilterVocab:
    return ctx.resources.get(VOCAB_RESOURCE, lambda: load_vocab(ctx.catalog))
