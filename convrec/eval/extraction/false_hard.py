"""When is a hard constraint false? The judging rules of the false-hard-constraint measure.

A hard constraint removes films for the rest of the conversation, so setting one the user
did not state costs more than missing one. Each rule returns the constraints it finds
unsupported, as readable strings; an utterance counts as false when the list is not empty.

INSPIRED (annotated genres and people, nothing else):
* a hard genre, included or excluded, is supported when one of the utterance's genre
  labels maps to it;
* a hard person, included or excluded, when an annotated name is that person (same name
  key, or the annotation is their surname);
* any hard exclusion (genre, person, keyword, studio) is also false when the utterance has
  no negation cue at all (NEGATION_CUES);
* eras, runtimes, languages, ratings, keyword and studio inclusions (and exclusions that
  pass the cue rule) are not annotated: they are counted as "other", not judged.

Judged ReDial (benchmarks/extract/redial_judged.jsonl, every hard slot labelled):
* a genre included not in supports.genres, excluded not in supports.not_genres;
* a person included not in supports.people, excluded not in supports.not_people;
* an era bound when supports has no era at all, or when the extracted range reaches
  outside the supported one by more than ERA_SLACK years (an open supported bound
  reaches as far as it likes);
* a runtime bound with no supported bound of the same side within RUNTIME_SLACK minutes;
* a language not in supports.languages; a minimum rating when supports has none;
* a keyword exclusion naming no refused subject of supports.not_keywords.
Keyword and studio inclusions and studio exclusions have no label: counted as "other".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from convrec.eval.extraction.slots import Hard, person_matches, same_term, term_overlaps

NEGATION_CUES = re.compile(
    r"n't|n’t|\b(?:not|no|never|nothing|none|nor|neither|without|except|but|avoid|hate|"
    r"hated|hates|dislike|disliked|dislikes|cant|dont|wont|isnt|arent|didnt|doesnt|"
    r"rather not|skip|tired of|sick of|stop|against|nope|nah)\b",
    re.IGNORECASE,
)
ERA_SLACK = 2
RUNTIME_SLACK = 10


def has_negation(text: str) -> bool:
    """Whether the text has any negation cue (a crude test, wide on purpose: it only
    decides whether an exclusion could have been said at all)."""
    return bool(NEGATION_CUES.search(text))


@dataclass
class Verdict:
    """The unsupported hard constraints of one utterance, and the unjudged ones."""

    false: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)


def _people_false(names: Sequence[str], annotated: Sequence[str], prefix: str) -> list[str]:
    return [f"{prefix}{n}" for n in names if not any(person_matches(n, a) for a in annotated)]


def judge_inspired(hard: Hard, text: str, genres: frozenset[str],
                   people: Sequence[str]) -> Verdict:
    """The INSPIRED rules (module docstring): `genres` the catalog genres the labels map
    to, `people` the annotated names."""
    verdict = Verdict()
    negation = has_negation(text)
    verdict.false += [f"genre {g}" for g in sorted(hard.genres_include) if g not in genres]
    for g in sorted(hard.genres_exclude):
        if g not in genres:
            verdict.false.append(f"no genre {g} (not mentioned)")
        elif not negation:
            verdict.false.append(f"no genre {g} (no negation)")
    verdict.false += _people_false(hard.people_include, people, "person ")
    for name in hard.people_exclude:
        if not any(person_matches(name, a) for a in people):
            verdict.false.append(f"no person {name} (not mentioned)")
        elif not negation:
            verdict.false.append(f"no person {name} (no negation)")
    for kind, values in (("keyword", hard.keywords_exclude), ("studio", hard.studios_exclude)):
        for value in sorted(values):
            (verdict.other if negation else verdict.false).append(
                f"no {kind} {value}" + ("" if negation else " (no negation)"))
    verdict.other += _unjudged(hard)
    return verdict


def _unjudged(hard: Hard) -> list[str]:
    other = [f"{name} {getattr(hard, name):g}"
             for name in ("year_from", "year_to", "runtime_min", "runtime_max", "min_rating")
             if getattr(hard, name) is not None]
    other += [f"language {x}" for x in sorted(hard.languages)]
    other += [f"keyword {k}" for k in sorted(hard.keywords_include)]
    other += [f"studio {s}" for s in sorted(hard.studios_include)]
    return other


def judge_redial(hard: Hard, supports: dict[str, Any]) -> Verdict:
    """The judged-ReDial rules (module docstring)."""
    verdict = Verdict()
    genres = set(supports.get("genres") or [])
    not_genres = set(supports.get("not_genres") or [])
    verdict.false += [f"genre {g}" for g in sorted(hard.genres_include) if g not in genres]
    verdict.false += [f"no genre {g}" for g in sorted(hard.genres_exclude)
                      if g not in not_genres]
    verdict.false += _people_false(hard.people_include, supports.get("people") or [],
                                   "person ")
    verdict.false += _people_false(hard.people_exclude, supports.get("not_people") or [],
                                   "no person ")
    verdict.false += _era_false(hard, supports.get("year_from"), supports.get("year_to"))
    for side in ("runtime_min", "runtime_max"):
        value, wanted = getattr(hard, side), supports.get(side)
        if value is not None and (wanted is None or abs(value - wanted) > RUNTIME_SLACK):
            verdict.false.append(f"{side} {value:g}")
    languages = supports.get("languages") or []
    verdict.false += [f"language {x}" for x in sorted(hard.languages)
                      if not any(same_term(x, y) for y in languages)]
    if hard.min_rating is not None and supports.get("min_rating") is None:
        verdict.false.append(f"min_rating {hard.min_rating:g}")
    refused = supports.get("not_keywords") or []
    verdict.false += [f"no keyword {k}" for k in sorted(hard.keywords_exclude)
                      if not any(term_overlaps(k, r) for r in refused)]
    verdict.other += [f"keyword {k}" for k in sorted(hard.keywords_include)]
    verdict.other += [f"studio {s}" for s in sorted(hard.studios_include)]
    verdict.other += [f"no studio {s}" for s in sorted(hard.studios_exclude)]
    return verdict


def _era_false(hard: Hard, low: int | None, high: int | None) -> list[str]:
    bounds = [(n, v) for n, v in (("year_from", hard.year_from), ("year_to", hard.year_to))
              if v is not None]
    if not bounds:
        return []
    if low is None and high is None:
        return [f"{n} {v:g} (no era said)" for n, v in bounds]
    out = []
    for name, value in bounds:
        if (low is not None and value < low - ERA_SLACK) or (
                high is not None and value > high + ERA_SLACK):
            out.append(f"{name} {value:g} (said {low}-{high})")
    return out
