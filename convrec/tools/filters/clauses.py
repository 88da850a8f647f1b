"""Each constraint of a FilterArgs as a Clause: its SQL, its name, its evidence and violation."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from convrec.tools.base import ToolArgumentError
from convrec.tools.filters.args import LANGUAGE_NAMES, FilterArgs, range_words
from convrec.tools.filters.names import (
    ResolvedPerson,
    resolve_genre,
    resolve_keyword,
    resolve_language,
    resolve_person,
    resolve_studio,
)
from convrec.tools.filters.sql import (
    _any,
    _between,
    _exists,
    _in,
    _join,
    _matched,
    _not,
    _Sql,
)
from convrec.tools.filters.vocab import Film, FilterVocab

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

def _year_clause(args: FilterArgs) -> Clause | None:
    low, high = args.year_bounds()
    if low is None and high is None:
        return None
    words = range_words(low, high)
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
