"""The shape of a multi-film request, read from its words: how many films, in what order,
within what total runtime, distinct in what.

Patterns (`cue_patterns`) run over the text with number words as digits
(`quantity_words.normalise`), so "three films" and "3 films", "five hours" and "5 h" read
alike; each cue's original span is returned, so the extractor never reads "fits in five
hours" as a per-film runtime limit or "marathon" as a plot wish. A total time is a budget
when the words say so ("in total", "fits in", "the whole thing"), or when the request is
for several films and the time is one no single film is limited by.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from convrec.agent.goals import cue_patterns as cp
from convrec.agent.goals.types import Shape
from convrec.agent.understanding.quantity_words import normalise

SINGLE_FILM_MINUTES = 150  # a time under this may be one film's limit ("under 2 hours")
HAVE_MINUTES = 200  # "I have 3 hours" is one long film's; "I have 4 hours", a plan's
MAX_BUDGET_MINUTES = 7 * 24 * 60  # a longer "time budget" is no plan's


@dataclass
class ShapeReading:
    shape: Shape
    spans: list[tuple[int, int]] = field(default_factory=list)  # in the original text
    plan_words: bool = False  # "marathon", "double feature": several films, count unsaid
    one_each: bool = False  # "one each", "one for me and one for her": a film per part

    def without_cues(self, text: str) -> str:
        """The text with every cue cut out (what the extractor reads)."""
        out, pos = [], 0
        for start, end in sorted(self.spans):
            if start >= pos:
                out.append(text[pos:start])
                pos = end
        out.append(text[pos:])
        return re.sub(r"\s+([,.;:!?])", r"\1", " ".join("".join(out).split())).strip(" ,;:")


def _minutes(found: re.Match[str]) -> int | None:
    match = cp.DURATION_RE.search(found.group(0))
    if match is None:
        return None
    groups = match.groupdict()
    minutes = (float(groups["h"]) * 60 + float(groups.get("hm") or 0) if groups.get("h")
               else float(groups["m"]) if groups.get("m") else None)
    if minutes is None or not 0 < minutes <= MAX_BUDGET_MINUTES:
        return None  # "under 99999999999999999999 minutes": no evening's length
    return round(minutes)


def _told(low: str, start: int) -> bool:
    """Whether a number is part of a story ("each of us wrote three titles"), not a request."""
    return bool(cp.PAST.search(low[max(0, start - 40):start]))


def read_shape(text: str) -> ShapeReading:
    """The shape cues of `text` (an empty Shape when there are none)."""
    norm = normalise(text)
    low = norm.text
    reading = ShapeReading(Shape())
    shape = reading.shape

    def take(match: re.Match[str], group: int | str = 0) -> None:
        start, end = norm.original(match.start(group), match.end(group))
        reading.spans.append((start, end))
        shape.said.append(text[start:end])

    _read_count(low, reading, take)
    _read_per(low, reading, take)
    for order, pattern in cp.ORDERS:
        for said in pattern.finditer(low):  # every wording of it is cut, the first one counts
            shape.order = shape.order or order  # type: ignore[assignment]
            take(said)
    plan = cp.PLAN_WORDS.search(low)
    if plan:
        reading.plan_words = True
        take(plan)
    several = (bool(shape.count and shape.count > 1) or shape.per is not None or bool(plan)
               or reading.one_each or bool(re.search(rf"\b{cp.FILMS}\b", low) and
                                           re.search(r"\b(?:films|movies|ones)\b", low)))
    _read_budget(low, reading, take, several)
    for pattern in cp.DISTINCT:
        distinct = pattern.search(low)
        if distinct:
            word = distinct.group("attr").rstrip("s")
            shape.distinct = cp.DISTINCT_KIND.get(word, "decade")  # type: ignore[assignment]
            take(distinct, "cut" if "cut" in distinct.groupdict() else 0)
            break
    return reading


def _read_count(low: str, reading: ShapeReading, take: object) -> None:
    shape = reading.shape
    assert callable(take)
    double = cp.DOUBLE.search(low)
    if double:
        shape.count = 2 if double.group(1) == "double" else 3
        take(double)
    pair = cp.PAIR.search(low)
    if pair and shape.count is None:
        shape.count = 3 if pair.group(2) == "few" else 2
        take(pair, "cut")
    for match in cp.COUNT.finditer(low):
        group = next(g for g in (1, 2, 3) if match.group(g))
        n = int(match.group(group))
        if 2 <= n <= 10 and shape.count is None and not _told(low, match.start()):
            shape.count = n
            take(match, group if group == 1 else 0)  # "3 thrillers" keeps its thrillers
    one_each = cp.ONE_EACH.search(low)
    if one_each:
        reading.one_each = True
        take(one_each)


def _read_per(low: str, reading: ShapeReading, take: object) -> None:
    shape = reading.shape
    assert callable(take)
    per = cp.PER.search(low)
    if per:
        unit = next(g for g in (per.group(2), per.group(4), per.group(6)) if g)
        shape.per = "night" if unit in ("night", "evening") else unit
        take(per, next(c for c in ("cut", "cut2", "cut3") if per.group(c)))  # "a comedy" stays
        week = cp.WEEK.search(low)
        if shape.count is None and week:
            shape.count = 7 if week.group(2) == "week" else (3 if week.group(1) else 2)
            take(week)
    nights = cp.NIGHTS.search(low)
    if nights and 2 <= int(nights.group(1)) <= 10:
        shape.per = shape.per or ("night" if nights.group(2) != "days" else "day")
        shape.count = shape.count or int(nights.group(1))
        take(nights)


def _read_budget(low: str, reading: ShapeReading, take: object, several: bool) -> None:
    assert callable(take)
    sure = [m for m in cp.BUDGET_SURE.finditer(low) if _minutes(m)]
    found = next((m for m in sure if several or (_minutes(m) or 0) >= SINGLE_FILM_MINUTES),
                 None)
    if found is None:
        found = next((m for m in cp.BUDGET_IF_PLAN.finditer(low)
                      if (_minutes(m) or 0) >= (SINGLE_FILM_MINUTES if several
                                                else HAVE_MINUTES)), None)
    fill = cp.FILL.search(low)
    if found is None and fill:
        found = next((m for m in cp.ANY_DURATION.finditer(low)
                      if (_minutes(m) or 0) >= SINGLE_FILM_MINUTES), None)
    if fill:
        take(fill, "a")
        take(fill, "b")
    if found is not None:
        reading.shape.budget_minutes = _minutes(found)
        take(found)
