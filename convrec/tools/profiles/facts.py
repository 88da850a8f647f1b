"""What extraction reads off the catalog, once per build: the entry keys of every film
(`ItemKeys`, shared with the `user_profile` tool), review themes and the vocabularies
that match review text."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from convrec.catalog.db import TOP_CAST, Catalog
from convrec.catalog.genre_words import REVIEW_WORDS
from convrec.catalog.normalize import match_fold, norm_name, norm_theme
from convrec.tools.profiles.model import LONG_FILM_MINUTES, LONG_FILMS, decade_label

# Keywords and tags that say nothing about what a film is about.
NON_THEMES = frozenset({
    "duringcreditsstinger", "aftercreditsstinger", "woman director", "independent film",
    "in netflix queue", "netflix queue", "bd-r", "dvd-video", "clv", "nudity (topless)",
})

# Rotten Tomatoes genres -> catalog genres (RT genres with no catalog counterpart are dropped).
RT_GENRES: dict[str, tuple[str, ...]] = {
    "Action and Adventure": ("Action", "Adventure"),
    "Animation": ("Animation",),
    "Anime and Manga": ("Animation",),
    "Comedy": ("Comedy",),
    "Documentary": ("Documentary",),
    "Drama": ("Drama",),
    "Horror": ("Horror",),
    "Kids and Family": ("Family",),
    "Musical and Performing Arts": ("Musical",),
    "Mystery and Suspense": ("Mystery", "Thriller"),
    "Romance": ("Romance",),
    "Science Fiction and Fantasy": ("Science Fiction", "Fantasy"),
    "Western": ("Western",),
}

_GENRE_WORD_SET = frozenset(w for words in REVIEW_WORDS.values() for w in words)

# Theme keywords that occur in reviews as ordinary film-review vocabulary; they are not used
# as themes found in review text (they still count as keywords of the films themselves).
_REVIEW_STOPWORDS = """
film films movie movies story time work performance love action heart american family kids
star true dark dialogue game power moving cinema men filmmaking lost light book actor past
art talent screenplay beauty night journey women home video rich career nature writer hero
woman hope soul spirit girl job running date flat identity vision park exercise artist
passion reality alone surprise theater writing house truth major single team fight wish
success boy dream friends child pop fall change city return voice missing deal king chance
pain camp class actress genius general promise television loss business capture silver tears
ring mother green desire games company talking safe song search key window affection blast
father control van trouble water dreams gift race fate bear law bite dangerous son travel
individual animal god office commercial hollywood summer cage brain earth midnight history
classic original world audience plot characters director young old human acting high year
part beautiful experience music adventure war fantasy documentary western mystery crime
romance comedy drama thriller horror animation musical suspense romantic sequel remake
execution tension energy journey intelligence success
"""
REVIEW_STOPWORDS = frozenset(_REVIEW_STOPWORDS.split()) | {
    "first time", "over the top", "set up", "pick up", "what if", "having fun", "human being"}
TEXT_THEME_MIN_ITEMS = 5  # a theme read from review text must tag at least this many films
TEXT_THEME_MAX_DF = 0.01  # ... and occur in at most this share of all reviews

_RUNTIME_WORDS = re.compile(
    r"\b(?:overlong|long|longer|length|lengthy|running time|runtime|minutes|hours?|epic|"
    r"bloated|sprawling|drags?|dragged|padded|interminable|overstays)\b", re.I)
_WORD_RE = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_NAME_TOKEN_RE = re.compile(r"[^\W\d_][\w'.-]*")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])\s+")


@dataclass
class ItemKeys:
    """Entry keys of every catalog film, and the films of every key (read-only, cacheable).

    The one definition of what an entry matches, used by the extractor and the tool alike.
    """

    by_item: dict[int, frozenset[str]]
    by_key: dict[str, frozenset[int]]
    # Themes a film has only because some MovieLens user tagged it. They match candidates,
    # but profiles do not learn from them: other people's tags ('imdb top 250', 'quirky')
    # mostly say which films taggers liked, not what the films are about.
    tag_only: dict[int, frozenset[str]]

    def profile_keys(self, item_id: int) -> set[str]:
        """The keys a profile learns from a film: all but other people's tags."""
        return set(self.by_item.get(item_id, ())) - self.tag_only.get(item_id, frozenset())

    @classmethod
    def load(cls, catalog: Catalog) -> ItemKeys:
        keys: dict[int, set[str]] = defaultdict(set)
        for row in catalog.query(
            "SELECT ig.item_id, g.name FROM item_genres ig JOIN genres g USING (genre_id)"
        ):
            keys[row[0]].add(f"genre:{row[1]}")
        for row in catalog.query(
            "SELECT item_id, person_id FROM credits "
            "WHERE role = 'director' OR (role = 'actor' AND ord < ?)", [TOP_CAST],
        ):
            keys[row[0]].add(f"person:{row[1]}")
        tagged: dict[int, set[str]] = defaultdict(set)
        for row in catalog.query(
            "SELECT ik.item_id, k.name, 0 FROM item_keywords ik JOIN keywords k USING (keyword_id) "
            "UNION ALL SELECT item_id, tag, 1 FROM tags"
        ):
            theme = norm_theme(row[1])
            if theme and theme not in NON_THEMES:
                (tagged if row[2] else keys)[row[0]].add(f"keyword:{theme}")
        tag_only: dict[int, frozenset[str]] = {}
        for item_id, themes in tagged.items():
            tag_only[item_id] = frozenset(themes - keys.get(item_id, set()))
            keys[item_id] |= themes
        for row in catalog.query("SELECT item_id, year, runtime FROM items"):
            decade = decade_label(row[1])
            if decade:
                keys[row[0]].add(f"era:{decade}")
            if row[2] is not None and row[2] > LONG_FILM_MINUTES:
                keys[row[0]].add(f"runtime:{LONG_FILMS}")
        by_key: dict[str, set[int]] = defaultdict(set)
        for item_id, item_keys in keys.items():
            for key in item_keys:
                by_key[key].add(item_id)
        return cls(
            by_item={i: frozenset(k) for i, k in keys.items()},
            by_key={k: frozenset(i) for k, i in by_key.items()},
            tag_only={i: t for i, t in tag_only.items() if t},
        )


@dataclass
class _Evidence:
    """One rated film or one review."""

    value: float
    keys: set[str]
    item_id: int | None = None
    rating: float | None = None
    review_id: int | None = None
    text: str | None = None
    fresh: bool | None = None
    people: tuple[tuple[int, str], ...] = ()  # credited people, for surname matches in text
    tags: dict[str, str] = field(default_factory=dict)  # key -> the rater's own tag text


@dataclass
class _CatalogFacts:
    """Everything the extractor needs from the catalog, loaded once per build."""

    item_keys: ItemKeys
    labels: dict[int, str]
    popularity: dict[int, tuple[int, int]]
    names: dict[int, str]  # person id -> name
    credited: dict[int, tuple[tuple[int, str], ...]]  # item id -> people
    rt_keys: dict[int, set[str]]  # rt movie id -> keys of its RT record
    rt_people: dict[int, tuple[tuple[int, str], ...]]
    people_by_norm: dict[str, int]  # normalised full name -> person (for review text)
    review_themes: dict[int, frozenset[str]]  # review id -> themes its text names
    genre_patterns: dict[str, re.Pattern[str]]
    genre_words: re.Pattern[str]  # any genre word
    genre_of_word: dict[str, tuple[str, ...]]
    fresh_score: float
    rotten_score: float

    @classmethod
    def load(cls, catalog: Catalog, item_keys: ItemKeys | None = None) -> _CatalogFacts:
        item_keys = item_keys or ItemKeys.load(catalog)
        labels: dict[int, str] = {}
        popularity: dict[int, tuple[int, int]] = {}
        for row in catalog.query(
            "SELECT item_id, title, year, rating_count, vote_count FROM items"
        ):
            labels[row[0]] = f"{row[1]} ({row[2]})" if row[2] else row[1]
            popularity[row[0]] = (row[3] or 0, row[4] or 0)
        names: dict[int, str] = {}
        credited: dict[int, list[tuple[int, str]]] = defaultdict(list)
        counts: dict[int, int] = defaultdict(int)
        directed: dict[tuple[str, int], int] = defaultdict(int)
        for row in catalog.query(
            "SELECT c.item_id, c.person_id, p.name, c.role, p.norm_name FROM credits c "
            "JOIN people p USING (person_id) "
            "WHERE c.role = 'director' OR (c.role = 'actor' AND c.ord < ?) "
            "ORDER BY c.item_id, c.role DESC, c.ord", [TOP_CAST],
        ):
            names[row[1]] = row[2]
            credited[row[0]].append((row[1], row[2]))
            counts[row[1]] += 1
            if row[3] == "director":
                directed[(row[4], row[1])] += 1
        directors: dict[str, int] = {}  # normalised name -> the director with most films
        for (norm, pid), _ in sorted(directed.items(), key=lambda kv: (-kv[1], kv[0][1])):
            directors.setdefault(norm, pid)
        people_by_norm: dict[str, int] = {}
        for pid, name in names.items():
            norm = norm_name(name)
            if len(name.split()) < 2 or not norm:
                continue
            other = people_by_norm.get(norm)
            if other is None or (counts[pid], -pid) > (counts[other], -other):
                people_by_norm[norm] = pid
        genres = {r[0] for r in catalog.query("SELECT name FROM genres")}
        genre_patterns = {genre: _phrase_pattern(words)
                          for genre, words in REVIEW_WORDS.items() if genre in genres}
        genre_of_word: dict[str, tuple[str, ...]] = defaultdict(tuple)
        for genre in genre_patterns:
            for word in REVIEW_WORDS[genre]:
                genre_of_word[word] += (genre,)
        rt_keys, rt_people = _rt_facts(catalog, genres, directors, names)
        scores = catalog.query(
            "SELECT fresh, avg(score) FROM reviews WHERE score IS NOT NULL AND fresh IS NOT NULL "
            "GROUP BY fresh"
        )
        by_fresh = {bool(r[0]): float(r[1]) for r in scores}
        return cls(
            item_keys=item_keys,
            labels=labels,
            popularity=popularity,
            names=names,
            credited={i: tuple(p) for i, p in credited.items()},
            rt_keys=rt_keys,
            rt_people=rt_people,
            people_by_norm=people_by_norm,
            review_themes=_review_themes(catalog, item_keys),
            genre_patterns=genre_patterns,
            genre_words=_phrase_pattern(w for g in genre_patterns for w in REVIEW_WORDS[g]),
            genre_of_word=genre_of_word,
            fresh_score=by_fresh.get(True, 0.75),
            rotten_score=by_fresh.get(False, 0.45),
        )


def _rt_facts(
    catalog: Catalog, genres: set[str], directors: dict[str, int], names: dict[int, str]
) -> tuple[dict[int, set[str]], dict[int, tuple[tuple[int, str], ...]]]:
    """The keys of each Rotten Tomatoes record (genres, era, long film, its director as the
    catalog's director of that name with most films) and that director, by rt movie id."""
    rt_keys: dict[int, set[str]] = {}
    rt_people: dict[int, tuple[tuple[int, str], ...]] = {}
    for row in catalog.query(
        "SELECT rt_movie_id, director, theater_date, runtime, genre FROM rt_movies"
    ):
        found: set[str] = set()
        for rt_genre in (row["genre"] or "").split("|"):
            found |= {f"genre:{g}" for g in RT_GENRES.get(rt_genre.strip(), ()) if g in genres}
        decade = decade_label(_year_of(row["theater_date"]))
        if decade:
            found.add(f"era:{decade}")
        if row["runtime"] is not None and row["runtime"] > LONG_FILM_MINUTES:
            found.add(f"runtime:{LONG_FILMS}")
        director = directors.get(norm_name(row["director"] or "")) if row["director"] else None
        if director is not None:
            found.add(f"person:{director}")
            rt_people[row["rt_movie_id"]] = ((director, names[director]),)
        rt_keys[row["rt_movie_id"]] = found
    return rt_keys, rt_people


def _year_of(date_text: str | None) -> int | None:
    m = re.search(r"\b(1[89]\d\d|20\d\d)\b", date_text or "")
    return int(m.group(1)) if m else None


def _phrase_pattern(words: Iterable[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.I)


def _vocab_hits(text: str, vocab: Collection[str]) -> set[str]:
    """The phrases of `vocab` (1 to 3 words, lower case) that occur in `text`."""
    words = _WORD_RE.findall(match_fold(text).lower())
    hits = {w for w in words if w in vocab}
    for n in (2, 3):
        for i in range(len(words) - n + 1):
            gram = " ".join(words[i:i + n])
            if gram in vocab:
                hits.add(gram)
    return hits


def _review_themes(catalog: Catalog, item_keys: ItemKeys) -> dict[int, frozenset[str]]:
    """review id -> the theme keywords its text names.

    Only themes worth noticing count: TMDB keywords that tag at least TEXT_THEME_MIN_ITEMS
    films, are not genre words or review stopwords, and occur in at most TEXT_THEME_MAX_DF
    of all reviews (so 'heist' and 'serial killer' qualify, 'film', 'story', 'love' do not).
    """
    vocab: set[str] = set()
    for row in catalog.query("SELECT DISTINCT name FROM keywords"):
        theme = norm_theme(row[0])
        n_items = len(item_keys.by_key.get(f"keyword:{theme}", ()))
        if (n_items >= TEXT_THEME_MIN_ITEMS and len(theme) >= 4 and theme not in NON_THEMES
                and theme not in REVIEW_STOPWORDS and theme not in _GENRE_WORD_SET):
            vocab.add(theme)
    df: dict[str, int] = defaultdict(int)
    hits: dict[int, set[str]] = {}
    n_reviews = 0
    for row in catalog.query("SELECT review_id, text FROM reviews"):
        n_reviews += 1
        found = _vocab_hits(row[1], vocab)
        for theme in found:
            df[theme] += 1
        if found:
            hits[row[0]] = found
    limit = max(3, int(TEXT_THEME_MAX_DF * n_reviews))
    return {
        rid: kept for rid, found in hits.items()
        if (kept := frozenset(t for t in found if df[t] <= limit))
    }


# ----------------------------------------------------------------------------- extraction
