"""Runtime, era and rating statements in everyday English, with the exact words they came
from: "an hour and a half tops", "late 90's or early 2000's", "4 stars or more".

The text is first normalised (number words as digits, see quantity_words), then every
pattern proposes readings, overlapping; the leftmost, then longest, wins, so "between 90 and
120 minutes" beats its own "120 minutes" and "before 1980" beats "1980 or after". Some
readings are look-alikes that only block ("25 years old", "I'm in my 20s", a bare "2 hours"
with no comparative): they win their words and return nothing.

Only a comparative's own negation is read here ("nothing longer than 2 hours" is at most
120); "not from the 80s" comes back as the 80s, and the caller, who knows the negation
scope, decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from convrec.agent.understanding.quantity_eras import era_hits
from convrec.agent.understanding.quantity_words import normalise

QuantityKind = Literal["runtime", "era", "rating"]


@dataclass(frozen=True)
class Quantity:
    kind: QuantityKind
    low: float | None  # runtime: minutes; era: first year; rating: minimum on a 0-10 scale
    high: float | None  # runtime: minutes; era: last year (inclusive); rating: None
    span: tuple[int, int]  # character offsets in the text given
    vague: bool  # a soft statement: "not too long", "recent", "well reviewed", "about 2h"
    written: str  # the text of the span


_Reading = tuple[int, int, QuantityKind | None, float | None, float | None, bool, bool]

_NUM = r"(?<![\w.])\d+(?:\.\d+)?"
_H = r"(?:hours?|hrs?|h)(?![a-z])"
_M = r"(?:minutes?|mins?)(?![a-z])|m(?![a-z])"
_MINUTES_TAIL = (
    r"(?:[\s,]*(?:and\s+)?(?:(?P<{p}m2>[0-5]?\d)(?:[\s-]*(?:" + _M + r")|(?![\w'.]))"
    r"|a\s+(?P<{p}f>half|quarter)(?![a-z])))?"
)


def _duration(p: str) -> str:
    """A duration, group names prefixed with `p`: "1:45", "2h", "1h30", "2 hours and a half",
    "an hour and a half", "half an hour", "90 min", "100+ minutes"."""
    h_tail, a_tail = _MINUTES_TAIL.format(p=p + "h"), _MINUTES_TAIL.format(p=p + "a")
    return (
        rf"(?:(?<![\w.:])(?P<{p}hh>\d)\s*:\s*(?P<{p}mm>[0-5]\d)(?![\d:])"
        rf"|(?P<{p}h>{_NUM})(?P<{p}hp>\+)?[\s-]*{_H}{h_tail}"
        rf"|\b(?P<{p}half>half[\s-]+an?[\s-]+hour)(?![a-z])"
        rf"|\b(?P<{p}an>an?)[\s-]+hour(?![a-z]){a_tail}"
        rf"|(?P<{p}m>{_NUM})(?P<{p}mp>\+)?(?:[\s-]*(?:minutes?|mins?)|m)(?![a-z]))"
    )


def _minutes(m: re.Match[str], p: str) -> tuple[float, bool]:
    """Minutes of the duration matched with prefix `p`, and whether a "+" followed the
    number ("2+ hours")."""
    fraction = {"half": 30.0, "quarter": 15.0}
    if m.group(p + "hh"):
        return int(m.group(p + "hh")) * 60 + int(m.group(p + "mm")), False
    if m.group(p + "half"):
        return 30.0, False
    if m.group(p + "m"):
        return float(m.group(p + "m")), bool(m.group(p + "mp"))
    q = p + ("a" if m.group(p + "an") else "h")
    hours = 1.0 if m.group(p + "an") else float(m.group(p + "h"))
    extra = float(m.group(q + "m2")) if m.group(q + "m2") else fraction.get(m.group(q + "f"), 0)
    return hours * 60 + extra, bool(m.group(p + "hp"))


def _alternation(words: dict[str, str]) -> str:
    return "|".join(
        re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True)
    )


# comparatives and their direction ("low": at least, "high": at most)
_BEFORE = {
    "less than": "high",
    "less then": "high",
    "fewer than": "high",
    "under": "high",
    "below": "high",
    "shorter than": "high",
    "lower than": "high",
    "at most": "high",
    "at the most": "high",
    "max": "high",
    "maximum": "high",
    "a max of": "high",
    "a maximum of": "high",
    "max of": "high",
    "up to": "high",
    "within": "high",
    "<": "high",
    "<=": "high",
    "more than": "low",
    "more then": "low",
    "over": "low",
    "above": "low",
    "longer than": "low",
    "greater than": "low",
    "higher than": "low",
    "better than": "low",
    "at least": "low",
    "min": "low",
    "minimum": "low",
    "a minimum of": "low",
    "exceeding": "low",
    "upwards of": "low",
    ">": "low",
    ">=": "low",
    "in excess of": "low",
}
_AFTER = {
    "or less": "high",
    "or shorter": "high",
    "or under": "high",
    "or lower": "high",
    "or below": "high",
    "and under": "high",
    "and below": "high",
    "and less": "high",
    "max": "high",
    "maximum": "high",
    "tops": "high",
    "top": "high",
    "at most": "high",
    "at the most": "high",
    "at max": "high",
    "at the max": "high",
    "or more": "low",
    "or longer": "low",
    "or over": "low",
    "or above": "low",
    "or higher": "low",
    "or better": "low",
    "or greater": "low",
    "and up": "low",
    "and above": "low",
    "and over": "low",
    "and higher": "low",
    "and longer": "low",
    "plus": "low",
    "+": "low",
    "at least": "low",
    "minimum": "low",
    "min": "low",
    "and more": "low",
}
_LOW_AFTER = {w: d for w, d in _AFTER.items() if d == "low"}
_NEG = r"(?P<neg>\b(?:not|nothing|no|none|never)(?:\s+(?:any|anything|much|that'?s|that\s+is))?\s+)"
_CMP_BEFORE = rf"{_NEG}?(?P<cmp>{_alternation(_BEFORE)})(?![a-z])"
_CMP_AFTER = rf"(?P<after>{_alternation(_AFTER)})(?![a-z])"
_APPROX = (
    r"(?P<approx>\b(?:around|about|like|approximately|approx\.?|roughly|circa"
    r"|something\s+like|somewhere\s+around|close\s+to|~))"
)
# "we have an hour and a half": the time there is, so at most that
_HAVE = r"(?P<have>\b(?:have|got|has)\s+(?:(?:only|just|maybe)\s+)?)"
_APPROX_AFTER = r"(?P<approx2>-?\s*ish\b|or\s+so\b|give\s+or\s+take\b|more\s+or\s+less\b)"

_RUNTIME = re.compile(
    rf"(?:{_CMP_BEFORE}[\s:.]*(?:of\s+)?|{_HAVE})?(?:{_APPROX}\s*)?(?P<dur>{_duration('d')})"
    rf"(?:[\s-]*(?:long|in\s+length))?(?:\s+(?:movies?|films?|flicks?|ones?))?"
    rf"(?:\s*,?\s*(?:{_CMP_AFTER}|{_APPROX_AFTER}))?"
)
_RUNTIME_RANGE = re.compile(
    rf"(?:\b(?:between|from)\s+)?(?:(?P<bare>{_NUM})|{_duration('a')})\s*(?:and|to|or|-)\s*"
    rf"{_duration('b')}"
)
_VAGUE_RUNTIME = [
    (
        re.compile(
            r"\b(?:not|nothing|isn'?t|no|none)(?:\s+(?:too|very|super|that|overly|really"
            r"|crazy|excessively))?\s+long(?!\s+ago)(?!er)\b"
        ),
        None,
        120.0,
    ),
    (
        re.compile(r"\b(?:not|nothing|isn'?t)\s+(?:too|very|super|that|overly|really)\s+short\b"),
        90.0,
        None,
    ),
    (
        re.compile(
            r"\bshort(?:ish|er)?\b(?![\s-]+(?:stor(?:y|ies)|films?\s+festivals?|notice|term"
            r"|list|answer|version|circuit|of|hair|temper|attention|while|time|form|cut"
            r"|sighted|lived|tempered)\b)(?<!\bin\sshort)(?<!\bfor\sshort)"
            r"(?<!\bfall\sshort)(?<!\bstory\sshort)(?<!\bfalls\sshort)"
            r"(?<!\bcame\sup\sshort)"
        ),
        None,
        100.0,
    ),
    (
        re.compile(
            r"\b(?:something|anything)\s+quick(?:er)?\b|\bquick(?:er)?\s+(?:watch|movie"
            r"|film|flick|one)e?s?\b"
        ),
        None,
        100.0,
    ),
    (
        re.compile(
            r"\b(?:something|anything)\s+(?:really\s+|very\s+|super\s+|nice\s+and\s+)?"
            r"long(?:er|ish)?\b(?!\s+(?:ago|time|day|story))|\blong(?:er|ish)?[\s-]+"
            r"(?:epics?|movies?|films?|ones?|watch(?:es)?|flicks?|runtimes?)\b"
            r"|\bepic[\s-]+length\b|\blengthy\b|\bepics\b"
        ),
        150.0,
        None,
    ),
]

_SCALE = (
    r"(?P<scale>/\s*(?:10|5|100)\b|out\s+of\s+(?:10|5|100)\b|stars?(?:\s+out\s+of\s+"
    r"(?:10|5))?\b|%|percent\b|points?\b)"
)
_SITE = r"imdb|rotten\s+tomatoes|rt|metacritic|letterboxd|tomatometer"
_RATING = re.compile(
    rf"(?:(?P<c1>{_alternation(_BEFORE)})\s+)?(?:(?:an?\s+)?(?P<cue1>rated|ratings?|scored?"
    rf"|(?:{_SITE})(?:\s+(?:ratings?|scores?))?|average(?:\s+ratings?)?|reviews?)\s+"
    rf"(?:of\s+)?)?(?:{_NEG}?(?P<c2>{_alternation(_BEFORE)})\s+)?(?:an?\s+)?"
    rf"(?P<v>{_NUM})(?:\s*(?P<plus>\+))?(?:\s*{_SCALE})?"
    rf"(?:\s*(?P<c3>{_alternation(_LOW_AFTER)})(?![a-z]))?"
    rf"(?:\s+(?P<cue2>(?:on|in|at|from)\s+(?:{_SITE})|(?:{_SITE})|ratings?|scores?)\b)?"
)
_VAGUE_RATING = re.compile(
    r"\b(?:well|highly|high|top|best|critically|universally)[\s-]+(?:reviewed|rated|regarded"
    r"|received|acclaimed)\b|\bcritically\s+praised\b|\b(?:good|great|strong|positive"
    r"|glowing|rave)\s+(?:reviews|ratings|scores)\b|\b(?:award|oscar|academy\s+award)"
    r"[\s-]+winn(?:ing|er)s?\b|\bacclaimed\b"
)


def _runtime(norm: str) -> list[_Reading]:
    found: list[_Reading] = []
    for m in _RUNTIME.finditer(norm):
        minutes, plus = _minutes(m, "d")
        start, end = m.start(), m.end()
        approx = bool(m.group("approx") or m.group("approx2"))
        direction, source = "", ""
        if m.group("cmp"):
            direction, source = _BEFORE[re.sub(r"\s+", " ", m.group("cmp"))], "cmp"
            if m.group("neg"):
                direction = "low" if direction == "high" else "high"
        elif m.group("after"):
            direction, source = _AFTER[re.sub(r"\s+", " ", m.group("after"))], "after"
        elif plus:
            direction, source = "low", "plus"
        elif m.group("have"):
            direction, source = "high", "have"
        if source == "have" and m.group("approx"):
            start = m.start("approx")  # "we have about 90 minutes": soft, at most that
        elif source in ("after", "plus", "have"):
            start = m.start("dur")  # "like an hour and a half tops": the bound is the words
        vague = source == "have" and approx
        if not 0 < minutes <= 600:
            continue
        if direction == "high":
            found.append((start, end, "runtime", None, minutes, vague, False))
        elif direction == "low":
            found.append((start, end, "runtime", minutes, None, False, False))
        elif approx:
            found.append((start, end, "runtime", max(minutes - 15, 0), minutes + 15, True, False))
        elif not m.group("dhh"):  # a bare duration: told, not asked for ("a 2 hour drive")
            found.append((start, end, None, None, None, False, False))
    for m in _RUNTIME_RANGE.finditer(norm):
        high, _ = _minutes(m, "b")
        if m.group("bare"):
            unit = 60.0 if m.group("bh") or m.group("ban") else 1.0
            low = float(m.group("bare")) * unit
        else:
            low, _ = _minutes(m, "a")
        if 0 < low < high <= 600:
            found.append((m.start(), m.end(), "runtime", low, high, False, False))
    for pattern, low_, high_ in _VAGUE_RUNTIME:
        found += [
            (m.start(), m.end(), "runtime", low_, high_, True, True) for m in pattern.finditer(norm)
        ]
    return found


def _rating(norm: str) -> list[_Reading]:
    found: list[_Reading] = []
    for m in _RATING.finditer(norm):
        words = [re.sub(r"\s+", " ", m.group(g)) for g in ("c1", "c2") if m.group(g)]
        directions = [_BEFORE[w] for w in words]
        if m.group("neg"):
            directions[-1] = "low" if directions[-1] == "high" else "high"
        low_asked = bool(m.group("plus") or m.group("c3")) or "low" in directions
        if not low_asked or "high" in directions:
            continue
        if not (m.group("scale") or m.group("cue1") or m.group("cue2")):
            continue
        value, scale = float(m.group("v")), m.group("scale") or ""
        if "10" in scale and "100" not in scale:
            pass
        elif "star" in scale or "5" in scale:
            value *= 2
        elif scale or value > 10:
            value /= 10
        if 0 < value <= 10:
            found.append((m.start(), m.end(), "rating", value, None, False, False))
    found += [
        (m.start(), m.end(), "rating", 7.0, None, True, True) for m in _VAGUE_RATING.finditer(norm)
    ]
    return found


def _in_title(text: str, start: int, end: int) -> bool:
    """A capitalised word inside a sentence ("No Country for Old Men", "The Long Goodbye")
    belongs to a title, not to the request."""
    if not text[start:end].istitle():
        return False
    before = text[:start].rstrip()
    return bool(before) and before[-1] not in ".!?:;\"'(-\n"


def find_quantities(text: str, *, max_year: int) -> list[Quantity]:
    """Every runtime, era and rating statement in `text`, in order of appearance,
    non-overlapping."""
    norm = normalise(text)
    readings = _runtime(norm.text) + _rating(norm.text)
    readings += [
        (h.start, h.end, "era" if h.real else None, h.low, h.high, h.vague, h.wordy)
        for h in era_hits(norm.text, max_year)
    ]
    chosen: list[Quantity] = []
    taken = 0
    for start, end, kind, low, high, vague, wordy in sorted(
        readings, key=lambda r: (r[0], -r[1], r[2] is not None)
    ):
        if start < taken or end <= start:
            continue
        span = norm.original(start, end)
        if wordy and _in_title(text, *span):
            continue
        taken = end
        if kind is not None:
            chosen.append(
                Quantity(
                    kind,
                    None if low is None else float(low),
                    None if high is None else float(high),
                    span,
                    vague,
                    text[span[0] : span[1]],
                )
            )
    return chosen
