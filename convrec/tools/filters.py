"""filter_items: hard constraints (genre, era, runtime, language, rating, people, keywords).

The arguments are compiled into ONE parameterized SQL query over `items`, with an
EXISTS subquery per link table (item_genres, credits, item_keywords, tags) so that
SQLite answers each from its primary key or the indexes of schema.py. The SQL is
assembled by a small builder (`_Sql` and the helpers below it): every identifier
comes from a fixed allowlist (`_ITEM_EXPR`, `_LINKS`) and every value is a bound
parameter; no user text is ever formatted into SQL.

Names are resolved in Python before the query runs, against vocabularies read once
per `Resources` (genres, people, languages present, keywords and MovieLens tags).
An unknown name is a `ToolArgumentError` with the nearest valid values, never a
silent empty result.

Unknown attributes never satisfy a bound: a film with no runtime fails a runtime
limit, one with no year fails a year range, one with no original language (only
TMDB films have one) fails a language constraint, one with no rating fails
min_rating. A hard constraint is a promise to the user; a film we cannot check
is not shown rather than shown by luck.

`violations` checks given films against the same compiled clauses, so it agrees
with `filter_items` by construction.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from rapidfuzz import fuzz, process, utils

from convrec.catalog.db import Catalog
from convrec.catalog.normalize import canonical_genre, norm_name, strip_accents
from convrec.tools.base import ToolArgs, ToolArgumentError, ToolOutput
from convrec.tools.context import ToolContext

TOOL = "filter_items"
VOCAB_RESOURCE = "filter_vocab"

Role = Literal["actor", "director", "any"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

# ----------------------------------------------------------------------------- languages

# ISO 639-1 codes (and TMDB's 'cn' for Cantonese, 'xx' for no language) with English names.
LANGUAGE_NAMES: dict[str, str] = {
    "af": "Afrikaans", "am": "Amharic", "ar": "Arabic", "bg": "Bulgarian", "bn": "Bengali",
    "bs": "Bosnian", "ca": "Catalan", "cn": "Cantonese", "cs": "Czech", "cy": "Welsh",
    "da": "Danish", "de": "German", "el": "Greek", "en": "English", "eo": "Esperanto",
    "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian", "fi": "Finnish",
    "fr": "French", "ga": "Irish", "gl": "Galician", "he": "Hebrew", "hi": "Hindi",
    "hr": "Croatian", "hu": "Hungarian", "hy": "Armenian", "id": "Indonesian",
    "is": "Icelandic", "it": "Italian", "ja": "Japanese", "ka": "Georgian", "kk": "Kazakh",
    "km": "Khmer", "kn": "Kannada", "ko": "Korean", "ku": "Kurdish", "ky": "Kyrgyz",
    "la": "Latin", "lt": "Lithuanian", "lv": "Latvian", "mk": "Macedonian",
    "ml": "Malayalam", "mn": "Mongolian", "mr": "Marathi", "ms": "Malay", "nb": "Norwegian Bokmål",
    "ne": "Nepali", "nl": "Dutch", "no": "Norwegian", "pa": "Punjabi", "pl": "Polish",
    "ps": "Pashto", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sk": "Slovak",
    "sl": "Slovenian", "sq": "Albanian", "sr": "Serbian", "sv": "Swedish", "sw": "Swahili",
    "ta": "Tamil", "te": "Telugu", "th": "Thai", "tl": "Tagalog", "tr": "Turkish",
    "uk": "Ukrainian", "ur": "Urdu", "vi": "Vietnamese", "wo": "Wolof", "xx": "No Language",
    "yi": "Yiddish", "zh": "Chinese (Mandarin)", "zu": "Zulu",
}
# Other ways people name a language (lower case) -> codes.
_LANGUAGE_ALIASES: dict[str, tuple[str, ...]] = {
    "chinese": ("zh", "cn"), "mandarin": ("zh",), "farsi": ("fa",), "norwegian": ("no", "nb"),
    "bokmal": ("nb",), "flemish": ("nl",), "filipino": ("tl",), "castilian": ("es",),
    "francais": ("fr",), "espanol": ("es",), "deutsch": ("de",), "italiano": ("it",),
    "portugues": ("pt",), "nihongo": ("ja",), "silent": ("xx",), "none": ("xx",),
}

_LANGUAGE_BY_NAME: dict[str, tuple[str, ...]] = {
    strip_accents(name).casefold(): (code,) for code, name in LANGUAGE_NAMES.items()
}

# ----------------------------------------------------------------------------- arguments


class PersonRef(ToolArgs):
    """A person the films must (or must not) have, as the user named them."""

    name: Name = Field(description="The person's name as the user said it, e.g. 'Adam Sandler'.")
    role: Role = Field(
        "any",
        description="'actor' (in the cast), 'director', or 'any' credit (cast, director, "
        "writer, or a MovieLens tag naming them).",
    )

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: Any) -> Any:
        """Accept a bare name: 'Adam Sandler' -> {'name': 'Adam Sandler'}."""
        return {"name": data} if isinstance(data, str) else data


def _as_list(value: Any) -> Any:
    """Accept one value where a list is expected (a common slip in LLM tool calls)."""
    return [value] if isinstance(value, str | dict | PersonRef) else value


_DECADE_RE = re.compile(r"^(?:the\s+)?['’]?(\d{2}|\d{4})\s*['’]?s?$")


def parse_decade(value: Any) -> Any:
    """1990, 1995, '1990s', "'90s" or '90s' -> 1990.

    A year inside a decade names that decade. Two-digit decades are 19xx except
    '00s' and '10s' (2000s, 2010s): the catalog's films end in the 2010s.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        match = _DECADE_RE.match(value.strip().lower())
        if not match:
            raise ValueError(f"decade must look like 1990, '1990s' or '90s', got {value!r}")
        value = int(match.group(1))
        if len(match.group(1)) == 2:
            value += 2000 if value in (0, 10) else 1900
    if isinstance(value, int) and 0 <= value < 100:
        value += 2000 if value in (0, 10) else 1900
    if not isinstance(value, int) or not 1870 <= value <= 2100:
        raise ValueError(f"decade must be a year between 1870 and 2100, got {value!r}")
    return value - value % 10


GenreList = Annotated[list[Name], BeforeValidator(_as_list), Field(max_length=30)]
NameList = Annotated[list[Name], BeforeValidator(_as_list), Field(max_length=50)]
PeopleList = Annotated[list[PersonRef], BeforeValidator(_as_list), Field(max_length=30)]


class FilterArgs(ToolArgs):
    """Hard constraints over the catalog. Every constraint given must hold; at least one is needed.

    Films whose attribute is unknown (no runtime, no year, no original language, no
    rating) do not satisfy a constraint on that attribute.
    """

    genres_any: GenreList = Field(
        default_factory=list, description="At least one of these genres, e.g. ['Comedy', 'Drama']."
    )
    genres_all: GenreList = Field(
        default_factory=list, description="Every one of these genres, e.g. ['Comedy', 'Romance']."
    )
    genres_none: GenreList = Field(
        default_factory=list, description="None of these genres, e.g. ['Horror']."
    )
    year_from: int | None = Field(
        None, ge=1870, le=2100, description="Earliest release year, inclusive."
    )
    year_to: int | None = Field(
        None, ge=1870, le=2100, description="Latest release year, inclusive."
    )
    decade: Annotated[
        int | None,
        BeforeValidator(parse_decade),
        WithJsonSchema({"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]}),
    ] = Field(
        None,
        description="A decade: 1990 (or '90s', '1990s') means 1990-1999. With year_from/year_to "
        "the range is their overlap.",
    )
    runtime_min: int | None = Field(None, ge=0, le=1000, description="Minimum runtime in minutes.")
    runtime_max: int | None = Field(None, ge=0, le=1000, description="Maximum runtime in minutes.")
    languages: NameList = Field(
        default_factory=list,
        description="Original languages as ISO 639-1 codes ('fr') or names ('French'); any of "
        "them.",
    )
    min_rating: float | None = Field(
        None,
        ge=0,
        le=10,
        description="Minimum rating on a 0-10 scale (TMDB vote average where the film has "
        "TMDB votes, else the MovieLens mean rating x 2).",
    )
    min_votes: int | None = Field(
        None,
        ge=0,
        description="Minimum number of votes (TMDB vote count, else MovieLens rating count).",
    )
    people_include: PeopleList = Field(
        default_factory=list,
        description="People who must be in each film, e.g. [{'name': 'Robin Williams', "
        "'role': 'actor'}]; every one of them.",
    )
    people_exclude: PeopleList = Field(
        default_factory=list,
        description="People who must not be in any film, e.g. [{'name': 'Adam Sandler'}].",
    )
    keywords_any: NameList = Field(
        default_factory=list,
        description="At least one of these TMDB keywords or MovieLens tags, e.g. ['time travel'] "
        "(case-insensitive).",
    )
    studios_any: NameList = Field(
        default_factory=list,
        description="Made by at least one of these studios (TMDB production companies), e.g. "
        "['Pixar'] or ['Studio Ghibli']; a name matches every company it is part of.",
    )
    studios_none: NameList = Field(
        default_factory=list,
        description="Made by none of these studios, e.g. ['Pixar', 'Disney']. Films without "
        "company data (those not in TMDB) cannot be checked and are left out.",
    )
    keywords_none: NameList = Field(
        default_factory=list,
        description="None of these TMDB keywords or MovieLens tags, e.g. ['pixar', 'zombie'].",
    )
    exclude_ids: list[int] = Field(
        default_factory=list,
        description="Catalog ids to leave out (seen, rejected or already shown).",
    )
    limit: int | None = Field(
        None, ge=1, description="Keep at most this many films, most popular first; default all."
    )

    @field_validator("exclude_ids", mode="before")
    @classmethod
    def _one_id(cls, value: Any) -> Any:
        return [value] if isinstance(value, int) else value

    @model_validator(mode="after")
    def _consistent(self) -> FilterArgs:
        if not self.has_constraints():
            raise ValueError(
                "give at least one constraint (genres, years, decade, runtime, languages, "
                "rating, votes, people, keywords or exclude_ids)"
            )
        start, end = self.year_from, self.year_to
        if start is not None and end is not None and start > end:
            raise ValueError(f"year_from ({start}) is after year_to ({end})")
        low, high = self.year_bounds()
        if low is not None and high is not None and low > high:
            years = _range_words(self.year_from, self.year_to)
            raise ValueError(f"decade {self.decade}s and the years {years} do not overlap")
        if (
            self.runtime_min is not None
            and self.runtime_max is not None
            and self.runtime_min > self.runtime_max
        ):
            raise ValueError(
                f"runtime_min ({self.runtime_min}) is above runtime_max ({self.runtime_max})"
            )
        self._check_overlaps()
        return self

    def _check_overlaps(self) -> None:
        def keys(names: Iterable[str]) -> set[str]:
            return {vocab_key(n) for n in names}

        both = keys(self.genres_all) & keys(self.genres_none)
        if both:
            raise ValueError(f"genres_all and genres_none both name {sorted(both)}")
        if self.genres_any and keys(self.genres_any) <= keys(self.genres_none):
            raise ValueError("every genre in genres_any is also in genres_none")
        for out in self.people_exclude:
            for inc in self.people_include:
                same = person_key(out.name) == person_key(inc.name)
                if same and out.role in ("any", inc.role):
                    raise ValueError(
                        f"people_include and people_exclude both name {out.name!r}"
                    )

    def has_constraints(self) -> bool:
        return any(
            value not in (None, [])
            for name, value in self
            if name != "limit"
        )

    def year_bounds(self) -> tuple[int | None, int | None]:
        """The release-year range: year_from/year_to intersected with the decade."""
        low, high = self.year_from, self.year_to
        if self.decade is not None:
            low = self.decade if low is None else max(low, self.decade)
            high = self.decade + 9 if high is None else min(high, self.decade + 9)
        return low, high


# ----------------------------------------------------------------------------- vocabularies


def vocab_key(text: str) -> str:
    """Matching key of a genre, keyword or tag: case, accents and punctuation ignored."""
    return re.sub(r"[\W_]+", " ", strip_accents(text).casefold()).strip()


def person_key(name: str) -> str:
    """norm_name, or the casefolded name for names in scripts norm_name drops entirely."""
    return norm_name(name) or name.casefold().strip()


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


# Words of company names that name no studio on their own ("Pictures", "Animation").
_COMPANY_FILLER = frozenset({
    "pictures", "picture", "studios", "studio", "animation", "entertainment", "films", "film",
    "productions", "production", "company", "corporation", "corp", "inc", "ltd", "llc", "co",
    "group", "media", "international", "distribution", "releasing", "feature", "motion",
    "classics", "the", "and", "of", "cinema", "television", "channel", "home", "video", "world",
    "new", "united", "features", "presents", "america", "american", "partners",
})


def studio_keys(name: str) -> list[str]:
    """Keys a company answers to: its whole name and each run of its words that starts
    with a distinctive word ('Pixar Animation Studios' -> 'pixar animation studios',
    'pixar animation', 'pixar'; 'Walt Disney Pictures' -> ..., 'walt disney', 'disney')."""
    words = vocab_key(name).split()
    keys = {" ".join(words)}
    for start in range(len(words)):
        if words[start] in _COMPANY_FILLER or len(words[start]) < 3:
            continue
        for end in range(start + 1, min(len(words), start + 3) + 1):
            keys.add(" ".join(words[start:end]))
    return sorted(k for k in keys if k)


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


@dataclass(frozen=True)
class _SourceStats:
    max_votes: float
    mean_rating: float
    prior_votes: float  # m of the Bayesian average


@dataclass(frozen=True)
class PopularityPrior:
    """A 0-1 prior for ordering when nothing else ranks: 0.6 popularity + 0.4 quality.

    Popularity is log1p(votes) scaled by the most-voted film of the same rating
    source (TMDB counts run to ~14k, MovieLens counts to ~330, so they are not
    compared directly). Quality is the 0-10 rating shrunk towards the source's mean
    by a Bayesian average whose weight is the source's median vote count, so 9/10
    from 3 votes does not beat 8/10 from 5,000. Films with no votes score 0.
    """

    stats: dict[str, _SourceStats]

    @classmethod
    def fit(cls, rows: Iterable[tuple[float | None, int | None, str | None]]) -> PopularityPrior:
        by_source: dict[str, list[tuple[float, float]]] = {}
        for rating, votes, source in rows:
            if source is not None and rating is not None and votes:
                by_source.setdefault(source, []).append((float(rating), float(votes)))
        return cls({
            source: _SourceStats(
                max_votes=max(v for _, v in pairs),
                mean_rating=statistics.fmean(r for r, _ in pairs),
                prior_votes=max(1.0, statistics.median(v for _, v in pairs)),
            )
            for source, pairs in by_source.items()
        })

    def __call__(self, rating: float | None, votes: int | None, source: str | None) -> float:
        stats = self.stats.get(source or "")
        if stats is None or rating is None or not votes:
            return 0.0
        popularity = math.log1p(votes) / math.log1p(stats.max_votes)
        m = stats.prior_votes
        quality = (votes * rating + m * stats.mean_rating) / (votes + m)
        return round(0.6 * popularity + 0.4 * quality / 10, 4)


def get_vocab(ctx: ToolContext) -> FilterVocab:
    return ctx.resources.get(VOCAB_RESOURCE, lambda: load_vocab(ctx.catalog))


# ----------------------------------------------------------------------------- name resolution


def _quote(value: str) -> str:
    """A user value as shown in a message: quoted, and cut short when long."""
    return repr(value if len(value) <= 80 else value[:77] + "...")


def _suggest(query: str, choices: Sequence[str], limit: int = 3) -> list[str]:
    hits = process.extract(
        query, choices, scorer=fuzz.WRatio, processor=utils.default_process, limit=limit,
        score_cutoff=50,
    )
    return [h[0] for h in hits]


def _did_you_mean(
    what: str, value: str, field_name: str, suggestions: list[str]
) -> ToolArgumentError:
    hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
    return ToolArgumentError(f"unknown {what} {_quote(value)}{hint}", {field_name: suggestions})


def resolve_genre(name: str, vocab: FilterVocab, field_name: str) -> str:
    canonical = canonical_genre(name)
    if canonical in vocab.genre_ids:
        return canonical
    key = vocab_key(name)
    if key in vocab.genre_keys:
        return vocab.genre_keys[key]
    keys = list(vocab.genre_keys)
    hits = process.extract(key, keys, scorer=fuzz.WRatio, limit=6, score_cutoff=50)
    suggestions = list(dict.fromkeys(vocab.genre_keys[h[0]] for h in hits))[:3]
    raise _did_you_mean("genre", name, field_name, suggestions)


def resolve_language(name: str, vocab: FilterVocab) -> tuple[str, ...]:
    """'fr', 'FR', 'French' -> ('fr',); 'Chinese' -> ('zh', 'cn'): the codes present."""
    key = strip_accents(name).casefold().strip()
    if key in vocab.languages:
        return (key,)
    codes = _LANGUAGE_ALIASES.get(key) or _LANGUAGE_BY_NAME.get(key) or (
        (key,) if key in LANGUAGE_NAMES else ()
    )
    present = tuple(c for c in codes if c in vocab.languages)
    if present:
        return present
    if codes:
        common = sorted(vocab.languages, key=lambda c: -vocab.languages[c])[:5]
        names = [LANGUAGE_NAMES.get(c, c) for c in common]
        raise ToolArgumentError(
            f"no film in the catalog has {_quote(name)} as its original language; "
            f"the most common are {', '.join(names)}",
            {"languages": names},
        )
    choices = [LANGUAGE_NAMES.get(c, c) for c in vocab.languages]
    raise _did_you_mean("language", name, "languages", _suggest(name, choices))


@dataclass(frozen=True)
class ResolvedPerson:
    label: str  # the person as named in evidence: the catalog's spelling
    person_ids: tuple[int, ...]
    tags: tuple[str, ...]  # MovieLens tags naming them (role 'any' only)
    role: Role
    note: str | None = None


# A fuzzy name match is accepted only when it is this close (rapidfuzz ratio on
# norm_name keys) and no other name is within _FUZZY_MARGIN of it.
_FUZZY_ACCEPT = 88.0
_FUZZY_MARGIN = 4.0


def resolve_person(ref: PersonRef, vocab: FilterVocab, field_name: str) -> ResolvedPerson:
    """Exact normalised name (all namesakes), else a MovieLens tag, else a sure fuzzy match."""
    key = person_key(ref.name)
    ids = vocab.people.get(key, ())
    note = None
    if not ids and key:
        ids, note = _fuzzy_person(ref.name, key, vocab, field_name, ref.role)
    tags: tuple[str, ...] = ()
    if ref.role == "any":
        names = {ref.name, *(vocab.person_names[i] for i in ids)}
        tags = tuple(t for n in sorted(names) for t in vocab.tags.get(vocab_key(n), ()))
    if not ids and not tags:
        raise _person_error(ref.name, vocab, field_name)
    label = vocab.person_names[ids[0]] if ids else vocab.term_names[vocab_key(ref.name)]
    if len(ids) > 1:
        note = f"{len(ids)} people in the catalog are named {label}; matching all of them"
    elif not ids:
        note = f"{label} is not in the credits; matching the MovieLens tag {tags[0]!r}"
    return ResolvedPerson(label=label, person_ids=ids, tags=tags, role=ref.role, note=note)


def _fuzzy_person(
    name: str, key: str, vocab: FilterVocab, field_name: str, role: Role
) -> tuple[tuple[int, ...], str | None]:
    if role == "any" and vocab_key(name) in vocab.tags:
        return (), None  # an exact tag beats a guessed name
    hits = process.extract(key, vocab.person_keys, scorer=fuzz.ratio, limit=2, score_cutoff=60)
    if not hits or hits[0][1] < _FUZZY_ACCEPT:
        return (), None
    if len(hits) > 1 and hits[1][1] > hits[0][1] - _FUZZY_MARGIN:
        raise _person_error(name, vocab, field_name)
    ids = vocab.people[hits[0][0]]
    label = vocab.person_names[ids[0]]
    return ids, f"no one is named {_quote(name)}; using {label} ({hits[0][1]:.0f}% match)"


def _person_error(name: str, vocab: FilterVocab, field_name: str) -> ToolArgumentError:
    return _did_you_mean("person", name, field_name, person_suggestions(name, vocab))


def person_suggestions(name: str, vocab: FilterVocab, limit: int = 3) -> list[str]:
    """Names close to `name`: typos (ratio on norm_name keys) and surnames alone (partial
    ratio, for queries of 5+ letters), with a small bonus for people with many credits."""
    key = person_key(name)
    scores: dict[str, float] = {}
    for hit, score, _ in process.extract(
        key, vocab.person_keys, scorer=fuzz.ratio, limit=10, score_cutoff=60
    ):
        scores[hit] = score
    if len(key) >= 5:
        for hit, score, _ in process.extract(
            key, vocab.person_keys, scorer=fuzz.partial_ratio, limit=10, score_cutoff=90
        ):
            scores[hit] = max(scores.get(hit, 0.0), 0.9 * score)

    def rank(k: str) -> float:
        credits = sum(vocab.credit_counts.get(i, 0) for i in vocab.people[k])
        return scores[k] + min(10.0, 2.5 * math.log2(1 + credits))

    ranked = sorted(scores, key=lambda k: (-rank(k), k))
    return [vocab.person_names[vocab.people[k][0]] for k in ranked[:limit]]


@dataclass(frozen=True)
class ResolvedTerm:
    label: str
    keyword_ids: tuple[int, ...]
    tags: tuple[str, ...]


def resolve_keyword(term: str, vocab: FilterVocab, field_name: str = "keywords_any"
                    ) -> ResolvedTerm:
    key = vocab_key(term)
    kw, tags = vocab.keywords.get(key, ()), vocab.tags.get(key, ())
    if kw or tags:
        return ResolvedTerm(label=vocab.term_names[key], keyword_ids=kw, tags=tags)
    hits = process.extract(
        key, list(vocab.term_names), scorer=fuzz.WRatio, limit=3, score_cutoff=50
    )
    raise _did_you_mean(
        "keyword", term, field_name, [vocab.term_names[h[0]] for h in hits]
    )


# ----------------------------------------------------------------------------- SQL builder

# The only identifiers that ever reach SQL. Rating and votes follow one source per
# film: TMDB where it has TMDB votes, else MovieLens (mean x 2 to put it on 0-10).
_RATING_SOURCE_SQL = (
    "(CASE WHEN items.has_tmdb = 1 AND items.vote_count > 0 THEN 'tmdb' "
    "WHEN items.rating_count > 0 THEN 'ml' END)"
)
_ITEM_EXPR: dict[str, str] = {
    "item_id": "items.item_id",
    "year": "items.year",
    "runtime": "items.runtime",
    "language": "items.original_language",
    "rating": "(CASE WHEN items.has_tmdb = 1 AND items.vote_count > 0 THEN items.vote_average "
    "WHEN items.rating_count > 0 THEN items.rating_mean * 2 END)",
    "votes": "(CASE WHEN items.has_tmdb = 1 AND items.vote_count > 0 THEN items.vote_count "
    "ELSE items.rating_count END)",
}
# link table -> (table, value column); every link table has item_id.
_LINKS: dict[str, tuple[str, str]] = {
    "genre": ("item_genres", "genre_id"),
    "keyword": ("item_keywords", "keyword_id"),
    "credit": ("credits", "person_id"),
    "tag": ("tags", "tag"),
    "company": ("item_companies", "company_id"),
}
_ROLES = frozenset({"actor", "director"})


@dataclass(frozen=True)
class _Sql:
    """A SQL fragment and its bound parameters, in order."""

    text: str
    params: tuple[Any, ...] = ()


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _between(expr: str, low: float | None, high: float | None) -> _Sql:
    column = _ITEM_EXPR[expr]
    parts, params = [], []
    if low is not None:
        parts.append(f"{column} >= ?")
        params.append(low)
    if high is not None:
        parts.append(f"{column} <= ?")
        params.append(high)
    return _Sql(" AND ".join(parts), tuple(params))


def _in(expr: str, values: Collection[Any], *, negate: bool = False) -> _Sql:
    op = "NOT IN" if negate else "IN"
    return _Sql(f"{_ITEM_EXPR[expr]} {op} ({_marks(len(values))})", tuple(values))


def _exists(link: str, values: Collection[Any], role: str | None = None) -> _Sql:
    """EXISTS over a link table, answered from its (item_id, value) primary key."""
    table, column = _LINKS[link]
    text = (
        f"EXISTS (SELECT 1 FROM {table} l WHERE l.item_id = items.item_id "
        f"AND l.{column} IN ({_marks(len(values))})"
    )
    params: tuple[Any, ...] = tuple(values)
    if role is not None:
        if role not in _ROLES:
            raise ValueError(f"role {role!r} not allowed")
        text += " AND l.role = ?"
        params += (role,)
    return _Sql(text + ")", params)


def _matched(link: str, values: Collection[Any]) -> _Sql:
    """The values of a link table an item has among `values`, joined by char(31)."""
    table, column = _LINKS[link]
    return _Sql(
        f"(SELECT group_concat(l.{column}, char(31)) FROM {table} l "
        f"WHERE l.item_id = items.item_id AND l.{column} IN ({_marks(len(values))}))",
        tuple(values),
    )


def _any(parts: Sequence[_Sql]) -> _Sql:
    params = tuple(x for p in parts for x in p.params)
    return _Sql(" OR ".join(f"({p.text})" for p in parts), params)


def _not(part: _Sql) -> _Sql:
    """Negation; only used on EXISTS, which is never NULL."""
    return _Sql(f"NOT ({part.text})", part.params)


def _join(parts: Sequence[_Sql], sep: str) -> _Sql:
    return _Sql(sep.join(p.text for p in parts), tuple(x for p in parts for x in p.params))


def _where(clauses: Sequence[Clause]) -> _Sql:
    if not clauses:
        return _Sql("1")
    return _join([_Sql(f"({c.sql.text})", c.sql.params) for c in clauses], " AND ")


def _select(columns: Sequence[_Sql], where: Sequence[Clause]) -> _Sql:
    """SELECT items.item_id, then `columns`, FROM items WHERE every clause of `where`."""
    head = _join([_Sql(_ITEM_EXPR["item_id"]), *columns], ", ")
    cond = _where(where)
    return _Sql(f"SELECT {head.text} FROM items WHERE {cond.text}", (*head.params, *cond.params))


# ----------------------------------------------------------------------------- clauses

# An evidence or violation text from the film's facts and the clause's extra columns.
Describe = Callable[[Film, Sequence[Any]], str | None]


def _says(text: str) -> Callable[[Film, Sequence[Any]], str]:
    """Evidence or violation text that does not depend on the film."""
    return lambda _film, _extra: text


@dataclass(frozen=True)
class Clause:
    """One constraint: its SQL, how it is named, and what it says about a film.

    `columns` are extra SELECT columns its evidence needs (the keywords a film
    matched); their values are passed to `evidence` and `violation` in order.
    """

    field: str  # the FilterArgs field it comes from
    name: str  # the constraint in words: "Comedy", "1990-1999", "without Adam Sandler"
    sql: _Sql
    evidence: Describe
    violation: Callable[[Film, Sequence[Any]], str]
    columns: tuple[_Sql, ...] = ()
    relaxable: bool = True


@dataclass
class Compiled:
    clauses: list[Clause]
    notes: list[str]

    def columns(self) -> list[_Sql]:
        return [col for clause in self.clauses for col in clause.columns]

    def spans(self, offset: int = 1) -> list[tuple[Clause, int, int]]:
        """Each clause with where its extra columns sit in a result row (after `offset`)."""
        out: list[tuple[Clause, int, int]] = []
        for clause in self.clauses:
            out.append((clause, offset, offset + len(clause.columns)))
            offset += len(clause.columns)
        return out


def _range_words(low: float | None, high: float | None, unit: str = "") -> str:
    if low is not None and high is not None:
        return f"{low}-{high}{unit}" if low != high else f"{low}{unit}"
    return f"from {low}{unit}" if low is not None else f"until {high}{unit}"


def _year_clause(args: FilterArgs) -> Clause | None:
    low, high = args.year_bounds()
    if low is None and high is None:
        return None
    words = _range_words(low, high)
    return Clause(
        field="decade" if args.decade is not None else "year_from/year_to",
        name=words,
        sql=_between("year", low, high),
        evidence=lambda f, _: str(f.year),
        violation=lambda f, _: f"year {f.year or 'unknown'}, not {words}",
    )


def _runtime_clause(args: FilterArgs) -> Clause | None:
    low, high = args.runtime_min, args.runtime_max
    if low is None and high is None:
        return None
    if low is not None and high is not None:
        words, name = f"{low}-{high} min", "runtime_min/runtime_max"
    elif low is not None:
        words, name = f"at least {low} min", "runtime_min"
    else:
        words, name = f"at most {high} min", "runtime_max"
    return Clause(
        field=name,
        name=words,
        sql=_between("runtime", low, high),
        evidence=lambda f, _: f"{f.runtime} min",
        violation=lambda f, _: (
            f"runtime {f.runtime} min, not {words}" if f.runtime is not None
            else f"runtime unknown, needs {words}"
        ),
    )


def _genre_clauses(args: FilterArgs, vocab: FilterVocab) -> list[Clause]:
    required = {resolve_genre(g, vocab, "genres_all") for g in args.genres_all}
    excluded = {resolve_genre(g, vocab, "genres_none") for g in args.genres_none}
    both = sorted(required & excluded)  # 'Sci-Fi' and 'Science Fiction' are one genre
    if both:
        raise ToolArgumentError(f"{both[0]} is both required and excluded", {"genres_none": []})
    out: list[Clause] = []
    for name in dict.fromkeys(resolve_genre(g, vocab, "genres_all") for g in args.genres_all):
        out.append(Clause(
            field="genres_all", name=name, sql=_exists("genre", [vocab.genre_ids[name]]),
            evidence=_says(name), violation=_says(f"not {name}"),
        ))
    if args.genres_any:
        names = list(dict.fromkeys(resolve_genre(g, vocab, "genres_any") for g in args.genres_any))
        ids = {vocab.genre_ids[n]: n for n in names}
        either = " or ".join(names)
        out.append(Clause(
            field="genres_any", name=either, sql=_exists("genre", list(ids)),
            evidence=lambda f, _: ", ".join(n for i, n in ids.items() if i in f.genre_ids),
            violation=_says(f"not {either}"),
        ))
    for name in dict.fromkeys(resolve_genre(g, vocab, "genres_none") for g in args.genres_none):
        out.append(Clause(
            field="genres_none", name=f"not {name}",
            sql=_not(_exists("genre", [vocab.genre_ids[name]])),
            evidence=_says(f"not {name}"), violation=_says(f"is {name}"),
        ))
    return out


def _split(value: Any) -> list[str]:
    return str(value).split("\x1f") if value is not None else []


def _language_name(code: str | None) -> str:
    return LANGUAGE_NAMES.get(code or "", code or "unknown")


def _language_clause(args: FilterArgs, vocab: FilterVocab) -> Clause | None:
    if not args.languages:
        return None
    codes = list(dict.fromkeys(c for name in args.languages for c in resolve_language(name, vocab)))
    words = " or ".join(_language_name(c) for c in codes)
    return Clause(
        field="languages",
        name=words,
        sql=_in("language", codes),
        evidence=lambda f, _: _language_name(f.language),
        violation=lambda f, _: (
            f"in {_language_name(f.language)}, not {words}" if f.language
            else f"original language unknown, needs {words}"
        ),
    )


def _quality_clauses(args: FilterArgs) -> list[Clause]:
    out: list[Clause] = []
    if args.min_rating is not None:
        low = args.min_rating
        out.append(Clause(
            field="min_rating", name=f"rated at least {low:g}", sql=_between("rating", low, None),
            evidence=lambda f, _: f"rated {f.rating:.1f}/10",
            violation=lambda f, _: (
                f"rated {f.rating:.1f}, below {low:g}" if f.rating is not None
                else f"no rating, needs at least {low:g}"
            ),
        ))
    if args.min_votes is not None:
        votes = args.min_votes
        out.append(Clause(
            field="min_votes", name=f"at least {votes:,} votes", sql=_between("votes", votes, None),
            evidence=lambda f, _: f"{f.votes:,} votes",
            violation=lambda f, _: f"{f.votes:,} votes, fewer than {votes:,}",
        ))
    return out


def _person_sql(person: ResolvedPerson) -> _Sql:
    parts = []
    if person.person_ids:
        role = None if person.role == "any" else person.role
        parts.append(_exists("credit", person.person_ids, role))
    if person.tags:
        parts.append(_exists("tag", person.tags))
    return _any(parts)


def _people_clauses(args: FilterArgs, vocab: FilterVocab, notes: list[str]) -> list[Clause]:
    out: list[Clause] = []
    for field_name, refs in (("people_include", args.people_include),
                             ("people_exclude", args.people_exclude)):
        for ref in refs:
            person = resolve_person(ref, vocab, field_name)
            if person.note:
                notes.append(person.note)
            director = ref.role == "director"
            present = f"directed by {person.label}" if director else f"with {person.label}"
            absent = f"not directed by {person.label}" if director else f"without {person.label}"
            sql = _person_sql(person)
            if field_name == "people_include":
                out.append(Clause(field=field_name, name=present, sql=sql,
                                  evidence=_says(present), violation=_says(absent)))
            else:
                out.append(Clause(field=field_name, name=absent, sql=_not(sql),
                                  evidence=_says(absent), violation=_says(present)))
    return out


def _keyword_clause(args: FilterArgs, vocab: FilterVocab) -> Clause | None:
    if not args.keywords_any:
        return None
    terms = [resolve_keyword(k, vocab) for k in dict.fromkeys(args.keywords_any)]
    kw_ids = sorted({i for t in terms for i in t.keyword_ids})
    tags = sorted({x for t in terms for x in t.tags})
    label_of = {**{str(i): t.label for t in terms for i in t.keyword_ids},
                **{x: t.label for t in terms for x in t.tags}}
    parts, columns = [], []
    for link, values in (("keyword", kw_ids), ("tag", tags)):
        if values:
            parts.append(_exists(link, values))
            columns.append(_matched(link, values))
    words = " or ".join(dict.fromkeys(t.label for t in terms))

    def evidence(_film: Film, extra: Sequence[Any]) -> str:
        found = [label_of[v] for value in extra for v in _split(value)]
        return "keyword: " + ", ".join(dict.fromkeys(found))

    return Clause(
        field="keywords_any", name=f"keyword {words}", sql=_any(parts), columns=tuple(columns),
        evidence=evidence, violation=_says(f"no keyword or tag {words}"),
    )


def resolve_studio(name: str, vocab: FilterVocab, field_name: str) -> tuple[str, tuple[int, ...]]:
    key = vocab_key(name)
    ids = vocab.studios.get(key, ())
    if ids:
        return vocab.studio_names.get(key, name), ids
    hits = process.extract(key, list(vocab.studios), scorer=fuzz.WRatio, limit=3,
                           score_cutoff=60)
    raise _did_you_mean("studio", name, field_name, [vocab.studio_names[h[0]] for h in hits])


def _studio_clauses(args: FilterArgs, vocab: FilterVocab) -> list[Clause]:
    out: list[Clause] = []
    if args.studios_any:
        found = [resolve_studio(s, vocab, "studios_any") for s in dict.fromkeys(args.studios_any)]
        ids = sorted({i for _, group in found for i in group})
        words = " or ".join(dict.fromkeys(label for label, _ in found))
        out.append(Clause(field="studios_any", name=f"by {words}", sql=_exists("company", ids),
                          evidence=_says(f"by {words}"), violation=_says(f"not by {words}")))
    if args.studios_none:
        found = [resolve_studio(s, vocab, "studios_none")
                 for s in dict.fromkeys(args.studios_none)]
        ids = sorted({i for _, group in found for i in group})
        words = " or ".join(dict.fromkeys(label for label, _ in found))
        # a film with no company data cannot be shown to be free of these studios
        known = _Sql("EXISTS (SELECT 1 FROM item_companies l WHERE l.item_id = items.item_id)")
        sql = _join([known, _not(_exists("company", ids))], " AND ")
        out.append(Clause(field="studios_none", name=f"not by {words}", sql=sql,
                          evidence=_says(f"not by {words}"),
                          violation=_says(f"by {words}, or no studio data")))
    return out


def _no_keyword_clause(args: FilterArgs, vocab: FilterVocab) -> Clause | None:
    if not args.keywords_none:
        return None
    terms = [resolve_keyword(k, vocab, "keywords_none") for k in dict.fromkeys(args.keywords_none)]
    kw_ids = sorted({i for t in terms for i in t.keyword_ids})
    tags = sorted({x for t in terms for x in t.tags})
    parts = [_exists(link, values) for link, values in (("keyword", kw_ids), ("tag", tags))
             if values]
    words = " or ".join(dict.fromkeys(t.label for t in terms))
    return Clause(
        field="keywords_none", name=f"no keyword {words}", sql=_not(_any(parts)),
        evidence=_says(f"not {words}"), violation=_says(f"keyword or tag {words}"),
    )


def id_clause(ids: Iterable[int], vocab: FilterVocab, *, exclude: bool, name: str) -> Clause:
    """items.item_id IN / NOT IN a list of catalog ids.

    When the list is over half the catalog its complement is bound instead, so the
    number of parameters stays under half the catalog size (and the query small).
    """
    wanted = set(ids) & vocab.films.keys()
    negate = exclude
    if len(wanted) * 2 > vocab.n_items:
        wanted, negate = set(vocab.films.keys() - wanted), not negate
    values = sorted(wanted)
    sql = _in("item_id", values, negate=negate) if values else _Sql("1" if negate else "0")
    return Clause(
        field="exclude_ids" if exclude else "candidates",
        name=name,
        sql=sql,
        evidence=lambda _f, _x: None,
        violation=_says("excluded (seen, rejected or already shown)" if exclude
                        else "not a candidate"),
        relaxable=False,
    )


def compile_filter(args: FilterArgs, vocab: FilterVocab) -> Compiled:
    """Resolve every name and turn each constraint into a Clause (ToolArgumentError if unknown)."""
    notes: list[str] = []
    clauses: list[Clause] = _genre_clauses(args, vocab)
    clauses += [c for c in (_year_clause(args), _runtime_clause(args)) if c]
    clauses += [c for c in (_language_clause(args, vocab),) if c]
    clauses += _quality_clauses(args)
    clauses += _people_clauses(args, vocab, notes)
    clauses += [c for c in (_keyword_clause(args, vocab), _no_keyword_clause(args, vocab)) if c]
    clauses += _studio_clauses(args, vocab)
    if args.exclude_ids:
        clauses.append(id_clause(args.exclude_ids, vocab, exclude=True, name="not excluded"))
    return Compiled(clauses, notes)


# ----------------------------------------------------------------------------- the tools


def _candidate_clause(
    candidates: Collection[int] | None, vocab: FilterVocab, notes: list[str]
) -> tuple[Clause | None, int]:
    if candidates is None:
        return None, vocab.n_items
    given = {int(i) for i in candidates}
    known = given & vocab.films.keys()
    if len(known) < len(given):
        notes.append(f"{len(given) - len(known):,} candidate ids are not in the catalog; ignored")
    return id_clause(known, vocab, exclude=False, name="among the candidates"), len(known)


def _evidence(spans: list[tuple[Clause, int, int]], film: Film, row: Sequence[Any]) -> list[str]:
    out: list[str] = []
    for clause, start, end in spans:
        text = clause.evidence(film, row[start:end])
        if text and text not in out:
            out.append(text)
    return out


def filter_items(
    args: FilterArgs, ctx: ToolContext, *, candidates: Collection[int] | None = None
) -> ToolOutput:
    """Films that meet every hard constraint in `args`, most popular first.

    `candidates` (from the candidate bus, not the LLM) restricts the search to those
    ids. Each film's evidence names the constraints it meets ("Comedy", "1994",
    "94 min", "with Robin Williams"). When nothing matches, the notes say which
    single constraint, if dropped, would give films, and how many.
    """
    vocab = get_vocab(ctx)
    compiled = compile_filter(args, vocab)
    notes = list(compiled.notes)
    scope, n_from = _candidate_clause(candidates, vocab, notes)
    where = [*compiled.clauses, *([scope] if scope else [])]
    query = _select(compiled.columns(), where)
    rows = [tuple(r) for r in ctx.catalog.query(query.text, query.params)]
    films = vocab.films
    rows.sort(key=lambda r: (-films[r[0]].prior, r[0]))
    kept = rows[: args.limit] if args.limit else rows
    spans = compiled.spans()
    # dicts, validated in one pass by ToolOutput: much faster than a model per film
    items = [
        {"item_id": r[0], "score": films[r[0]].prior, "evidence": _evidence(spans, films[r[0]], r)}
        for r in kept
    ]
    if not rows and n_from:
        notes.extend(relax_notes(ctx, where))
    trace = f"filter: {n_from:,} -> {len(rows):,}"
    if len(kept) < len(rows):
        trace += f" (kept {len(kept):,})"
    return ToolOutput.model_validate(
        {"tool": TOOL, "items": items, "trace": trace, "notes": notes}
    )


def relax_notes(ctx: ToolContext, clauses: Sequence[Clause]) -> list[str]:
    """Which single constraint, dropped, would give films: one COUNT query per constraint."""
    gains: list[tuple[int, Clause]] = []
    for clause in clauses:
        if not clause.relaxable:
            continue
        cond = _where([c for c in clauses if c is not clause])
        count = ctx.catalog.query(f"SELECT COUNT(*) FROM items WHERE {cond.text}", cond.params)
        if count[0][0]:
            gains.append((count[0][0], clause))
    if not gains:
        return ["no film meets these constraints, and dropping any single one does not help"]
    gains.sort(key=lambda g: -g[0])
    options = "; ".join(f"{c.field} ({c.name}) -> {n:,} films" for n, c in gains)
    return [f"no film meets every constraint; dropping one of them would give: {options}"]


def violations(
    item_ids: Iterable[int], args: FilterArgs, ctx: ToolContext
) -> dict[int, list[str]]:
    """For each given id, the constraints of `args` it violates (an empty list: none).

    Evaluates the same compiled clauses as filter_items, per film, so a film that
    filter_items returns has no violations and one it leaves out has at least one.
    Ids that are not catalog items get ["not in the catalog"].
    """
    ids = list(dict.fromkeys(int(i) for i in item_ids))
    vocab = get_vocab(ctx)
    compiled = compile_filter(args, vocab)
    checks = [_Sql(f"CASE WHEN ({c.sql.text}) THEN 1 ELSE 0 END", c.sql.params)
              for c in compiled.clauses]
    result: dict[int, list[str]] = {i: ["not in the catalog"] for i in ids}
    known = [i for i in ids if i in vocab.films]
    for start in range(0, len(known), 500):
        scope = id_clause(known[start:start + 500], vocab, exclude=False, name="asked")
        query = _select([*compiled.columns(), *checks], [scope])
        width = 1 + len(compiled.columns())
        for row in ctx.catalog.query(query.text, query.params):
            film = vocab.films[row[0]]
            passed = row[width:]
            result[row[0]] = [
                clause.violation(film, row[start:end])
                for (clause, start, end), ok in zip(compiled.spans(), passed, strict=True)
                if not ok
            ]
    return result
