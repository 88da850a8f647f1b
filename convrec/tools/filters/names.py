"""Names as the user gave them -> catalog values, or a ToolArgumentError with suggestions."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from convrec.catalog.normalize import canonical_genre, person_key, strip_accents, vocab_key
from convrec.tools.base import ToolArgumentError
from convrec.tools.filters.args import LANGUAGE_ALIASES, LANGUAGE_NAMES, PersonRef, Role
from convrec.tools.filters.vocab import FilterVocab

_LANGUAGE_BY_NAME: dict[str, tuple[str, ...]] = {
    strip_accents(name).casefold(): (code,) for code, name in LANGUAGE_NAMES.items()
}



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
    codes = LANGUAGE_ALIASES.get(key) or _LANGUAGE_BY_NAME.get(key) or (
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

def resolve_studio(name: str, vocab: FilterVocab, field_name: str) -> tuple[str, tuple[int, ...]]:
    key = vocab_key(name)
    ids = vocab.studios.get(key, ())
    if ids:
        return vocab.studio_names.get(key, name), ids
    hits = process.extract(key, list(vocab.studios), scorer=fuzz.WRatio, limit=3,
                           score_cutoff=60)
    raise _did_you_mean("studio", name, field_name, [vocab.studio_names[h[0]] for h in hits])
