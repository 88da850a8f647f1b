"""The shape of a multi-film request, read from its words: how many films, in what order,
within what total runtime, distinct in what.

Patterns run over the text with number words as digits (`quantity_words.normalise`), so
"three films" and "3 films", "five hours" and "5 h" read alike; each cue's original span
is returned, so the extractor never reads "fits in five hours" as a per-film runtime limit
or "marathon" as a plot wish.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from convrec.agent.goals.types import Shape
from convrec.agent.understanding.quantity_words import normalise

_FILMS = r"(?:films?|movies?|picks?|titles?|flicks?|features?|suggestions?|recommendations?)"
_UNITS = (r"(?:hours?|hrs?|minutes?|mins?|stars?|years?|yrs?|decades?|days?|nights?|weeks?|"
          r"months?|times?|people|persons?|kids?|friends?|episodes?|seasons?|parts?|points?"
          r"|percent|votes?|adults?|teens?|teenagers?|boys?|girls?|guys?|sons?|daughters?|brothers?"
          r"|sisters?|parents?|s)")
# "three films", "4 westerns", "two 80s comedies": a number, then a plural noun that is not
# a unit ("2 hours", "5 stars"); not about what was already watched ("I saw 2 films")
_COUNT = re.compile(
    rf"(?<!watched\s)(?<!seen\s)(?<!saw\s)(?<!the\s)\b(\d+)\s+(?:[\w'-]+\s+){{0,3}}?"
    rf"(?:{_FILMS}|(?!{_UNITS}\b)[a-z-]{{3,}}(?:s|es))\b")
_DOUBLE = re.compile(r"\b(?:an?\s+)?(double|triple)[\s-]+(?:feature|bill|header)s?\b")
_PER = re.compile(
    r"\b(?:one|1|a\s+film|a\s+movie)\s+(?:[a-z-]+\s+){0,2}?(?P<cut>(?:per|a|each|every)\s+"
    r"(night|day|evening))\b|\b(?P<cut2>for\s+each\s+(night|day|evening))\b"
    r"|\b(?P<cut3>each\s+(night|day|evening))\b"
)
_NIGHTS = re.compile(r"\b(?:for\s+|over\s+)?(\d+)\s+(nights|days|evenings)\b")
_WEEK = re.compile(r"\b(?:this|for\s+the|over\s+the|for\s+a|next|the)\s+(week|weekend)\b")
_ORDERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("newest", re.compile(
        r"\b(?:newest|latest|most\s+recent)\s+(?:ones?\s+|films?\s+|movies?\s+)?first\b"
        r"|\breverse\s+chronological(?:ly)?(?:\s+order)?\b")),
    ("oldest", re.compile(
        r"\b(?:oldest|earliest)\s+(?:ones?\s+|films?\s+|movies?\s+)?first\b"
        r"|\b(?:in\s+)?chronological(?:ly)?(?:\s+order)?\b|\bin\s+(?:the\s+)?order\s+"
        r"(?:of\s+release|they\s+came\s+out)\b|\bin\s+release\s+order\b")),
    ("easiest", re.compile(
        r"\b(?:the\s+)?(?:easiest|most\s+accessible|gentlest|lightest|simplest|most\s+approachable)"
        r"\s+(?:ones?\s+|films?\s+|movies?\s+|one\s+)?first\b"
        r"|\bstart(?:ing)?\s+(?:with\s+|from\s+)?(?:the\s+)?(?:easiest|most\s+accessible|"
        r"most\s+approachable|lightest)(?:\s+ones?)?\b"
        r"|\b(?:from\s+)?easy\s+to\s+(?:hard|difficult|challenging)\b"
        r"|\bin\s+order\s+of\s+difficulty\b")),
)
_DURATION_TEXT = (r"(?P<h>\d+(?:\.\d+)?)\s*(?:hours?|hrs?|h)\b(?:\s*(?:and\s+)?(?P<hm>\d+)\s*"
                  r"(?:minutes?|mins?)\b)?|(?P<m>\d+)\s*(?:minutes?|mins?)\b")
_DURATION_RE = re.compile(_DURATION_TEXT)
_DURATION = re.sub(r"\(\?P<\w+>", "(?:", _DURATION_TEXT)
_TOTAL = (r"(?:total|in\s+total|altogether|all\s+together|combined|in\s+all|back\s+to\s+back"
          r"|in\s+one\s+sitting|tops|max(?:imum)?)")
_BUDGET_SURE = re.compile(
    rf"\b(?:that\s+|which\s+|to\s+)?(?:fits?|fitting|squeezed?|squeezing)\s+(?:in(?:to)?|within)"
    rf"\s+(?:an?\s+|my\s+|the\s+|our\s+)?(?:{_DURATION})(?:\s+{_TOTAL})?"
    rf"|\b(?:(?:in\s+)?under\s+|within\s+|less\s+than\s+|in\s+)?(?:{_DURATION})\s+{_TOTAL}\b"
    rf"|\b(?:total|combined)\s+(?:runtime|running\s+time|length)\s+(?:of\s+|under\s+|below\s+|"
    rf"within\s+|up\s+to\s+)?(?:{_DURATION})"
)
_BUDGET_IF_PLAN = re.compile(
    rf"\b(?:in\s+under|under|within|less\s+than|no\s+more\s+than|at\s+most|(?:i|we)\s+(?:only\s+)?"
    rf"(?:have|got)|in)\s+(?:an?\s+|about\s+)?(?:{_DURATION})"
)
_PLAN_WORDS = re.compile(
    r"\b(?:an?\s+)?(?:film\s+|movie\s+)?(?:marathon|line-?up|watch\s*list|programme|program"
    r"|binge|festival)\b|\bback[\s-]+to[\s-]+back\b"
)
_DISTINCT = re.compile(
    r"\b(?:each|every\s+one|all|every\s+(?:film|movie|one)|one)\s+(?:of\s+them\s+)?"
    r"(?:from|in|of|by|with)\s+(?:a\s+)?different\s+(?P<a>decades?|eras?|genres?|directors?|"
    r"languages?|countries|country)\b"
    r"|\b(?:from|in|across|spanning|covering)\s+(?:\d+\s+)?different\s+(?P<b>decades|eras|genres"
    r"|directors|languages|countries)\b"
    r"|\bno\s+(?:two|2)\s+(?:from|in|by|of)\s+the\s+same\s+(?P<c>decade|era|genre|director|language"
    r"|country)\b"
    r"|\b(?:a\s+)?different\s+(?P<d>decade|era|genre|director|language|country)\s+(?:each|for\s+"
    r"each|every\s+time|per\s+(?:film|movie|night))\b"
)
_DISTINCT_KIND = {"decade": "decade", "era": "decade", "genre": "genre", "director": "director",
                  "language": "language", "countrie": "language", "country": "language"}


@dataclass
class ShapeReading:
    shape: Shape
    spans: list[tuple[int, int]] = field(default_factory=list)  # in the original text
    plan_words: bool = False  # "marathon", "double feature": several films, count unsaid

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
    match = _DURATION_RE.search(found.group(0))
    if match is None:
        return None
    groups = match.groupdict()
    if groups.get("h"):
        return round(float(groups["h"]) * 60 + float(groups.get("hm") or 0))
    if groups.get("m"):
        return int(groups["m"])
    return None


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

    double = _DOUBLE.search(low)
    if double:
        shape.count = 2 if double.group(1) == "double" else 3
        take(double)
    for match in _COUNT.finditer(low):
        n = int(match.group(1))
        if 2 <= n <= 10 and shape.count is None:
            shape.count = n
            take(match, 1)
    per = _PER.search(low)
    if per:
        unit = next(g for g in (per.group(2), per.group(4), per.group(6)) if g)
        shape.per = "night" if unit in ("night", "evening") else unit
        take(per, next(c for c in ("cut", "cut2", "cut3") if per.group(c)))  # "a comedy" stays
        week = _WEEK.search(low)
        if shape.count is None and week:
            shape.count = 7 if week.group(1) == "week" and shape.per in ("night", "day") else 2
            take(week)
    nights = _NIGHTS.search(low)
    if nights and 2 <= int(nights.group(1)) <= 10:
        shape.per = shape.per or ("night" if nights.group(2) != "days" else "day")
        shape.count = shape.count or int(nights.group(1))
        take(nights)
    for order, pattern in _ORDERS:
        said = pattern.search(low)
        if said and shape.order is None:
            shape.order = order  # type: ignore[assignment]
            take(said)
    plan = _PLAN_WORDS.search(low)
    if plan:
        reading.plan_words = True
        take(plan)
    several = bool(shape.count and shape.count > 1) or shape.per is not None or bool(plan)
    budget = _BUDGET_SURE.search(low)
    if budget is None and several:
        budget = next((m for m in _BUDGET_IF_PLAN.finditer(low)
                       if (_minutes(m) or 0) >= 150), None)
    if budget is not None and (minutes := _minutes(budget)):
        shape.budget_minutes = minutes
        take(budget)
    distinct = _DISTINCT.search(low)
    if distinct:
        word = next(g for g in distinct.groups() if g).rstrip("s")
        shape.distinct = _DISTINCT_KIND.get(word, "decade")  # type: ignore[assignment]
        take(distinct)
    return reading
