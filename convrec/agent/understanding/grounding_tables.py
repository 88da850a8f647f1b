"""The vocabularies the grounder reads, built once per catalog: film counts of keyword and
tag terms, the exact and the spelling tables per kind, and the similarity helpers."""

from __future__ import annotations

from typing import Literal

from rapidfuzz import fuzz, process

from convrec.agent.understanding.vocab import AgentVocab
from convrec.catalog.genre_words import REQUEST_WORDS
from convrec.catalog.normalize import vocab_key
from convrec.tools.context import ToolContext
from convrec.tools.dense import model_path

GroundKind = Literal["genre", "keyword", "person", "language"]

SPELL_MIN_CREDITS = 5  # people whose full name a typo may be corrected to

SPELL_MIN_FILMS = 20  # keyword / tag terms a typo may be corrected to

EXACT_MIN_FILMS = 3  # keyword / tag terms a word grounds to exactly

TERMS_RESOURCE = "agent_term_counts"


def term_counts(ctx: ToolContext) -> dict[str, int]:
    """vocab_key -> films carrying it: max(keyword films, tag films), a lower bound of both
    together, read with two GROUP BY queries (an item set per key would cost ~0.5 s)."""
    keywords: dict[str, int] = {}
    for name, n in ctx.catalog.query(
        "SELECT k.name, COUNT(*) FROM item_keywords ik JOIN keywords k USING (keyword_id) "
        "GROUP BY k.keyword_id"
    ):
        key = vocab_key(name)
        keywords[key] = keywords.get(key, 0) + n
    tags: dict[str, int] = {}
    for tag, n in ctx.catalog.query("SELECT tag, COUNT(DISTINCT item_id) FROM tags GROUP BY tag"):
        key = vocab_key(tag)
        tags[key] = tags.get(key, 0) + n
    return {k: max(keywords.get(k, 0), tags.get(k, 0)) for k in keywords.keys() | tags.keys()}


def ratio(a: str, b: str) -> float:
    return round(fuzz.ratio(a, b) / 100.0, 3)


def closest(key: str, table: dict[str, str]) -> dict[str, float]:
    """The values of the few entries of `table` closest to `key`, with the best score each."""
    found: dict[str, float] = {}
    for entry, score, _ in process.extract(
        key, table.keys(), scorer=fuzz.ratio, limit=5, score_cutoff=70
    ):
        value = table[entry]
        found[value] = max(found.get(value, 0.0), score / 100.0)
    return found


# Inflections of a dictionary word are real words too. Plurals are not here: "witchs" and
# "actions" are the plural of an entry, read before this check (and "japanes" is no "japan").
SUFFIXES = ("ing", "ed", "d", "ers", "er", "ly", "ism", "ist", "ise", "ize", "y")


def model_words() -> frozenset[str]:
    """The whole words (no '##' pieces) of the embedding model's vocabulary."""
    path = model_path() / "vocab.txt"
    if not path.is_file():
        return frozenset()
    words = path.read_text(encoding="utf-8").split()
    return frozenset(w for w in words if len(w) >= 2 and w.isascii() and w.isalpha())


def by_initial(table: dict[str, str]) -> dict[str, dict[str, str]]:
    """A table split by first letter: typos rarely change a word's first letter, and
    unrelated words that differ there ("lair" / Blair, "rime" / Crime) are the false
    corrections a bare similarity makes."""
    out: dict[str, dict[str, str]] = {}
    for key, value in table.items():
        out.setdefault(key[:1], {})[key] = value
    return out


def single_genre_words() -> dict[str, str]:
    """The everyday genre words that mean one genre ("scifi", "spooky"); "romcom" (two
    genres) is the extractor's, never a spelling target."""
    return {vocab_key(w): g[0] for w, g in REQUEST_WORDS.items() if len(g) == 1}


def exact_tables(vocab: AgentVocab, counts: dict[str, int]) -> dict[GroundKind, dict[str, str]]:
    filters = vocab.filters
    genres = dict(filters.genre_keys)
    genres.update(single_genre_words())
    # Every multi-word name (the best-known person of a shared name), and single words only
    # for well-known surnames and one-word names with credits: an obscure "Love" is no entry.
    people: dict[str, str] = {}
    for pid, name in sorted(
        filters.person_names.items(), key=lambda p: -filters.credit_counts.get(p[0], 0)
    ):
        key = vocab_key(name)
        if " " in key or filters.credit_counts.get(pid, 0) >= SPELL_MIN_CREDITS:
            people.setdefault(key, name)
    for surname, pid in vocab.surnames.items():
        people.setdefault(vocab_key(surname), vocab.person_name(pid))
    languages = {vocab_key(w): name for w, name in vocab.languages.items()}
    terms = {
        k: filters.term_names[k]
        for k, n in counts.items()
        if n >= EXACT_MIN_FILMS and k in filters.term_names
    }
    return {"genre": genres, "language": languages, "person": people, "keyword": terms}


def spelling_tables(vocab: AgentVocab, counts: dict[str, int]) -> dict[str, dict[str, str]]:
    filters = vocab.filters
    genres = dict(filters.genre_keys)
    genres.update(single_genre_words())
    full: dict[str, str] = {}
    for pid, name in sorted(
        filters.person_names.items(), key=lambda p: -filters.credit_counts.get(p[0], 0)
    ):
        if filters.credit_counts.get(pid, 0) >= SPELL_MIN_CREDITS and " " in name.strip():
            full.setdefault(vocab_key(name), name)  # the best-known of a shared name
    surnames = {vocab_key(s): vocab.person_name(pid) for s, pid in vocab.surnames.items()}
    languages = {vocab_key(w): name for w, name in vocab.languages.items()}
    terms = {
        k: filters.term_names[k]
        for k, n in counts.items()
        if n >= SPELL_MIN_FILMS and k in filters.term_names
    }
    return {
        "genre": genres,
        "language": languages,
        "person": full,
        "surname": surnames,
        "keyword": terms,
    }
