"""Eras in a normalised message (see quantity_words): decades and their parts ("late 90's or
early 2000's"), years with a cue ("after 2000", "1995-2005"), relative eras ("the last 10
years"), vague words ("recent", "old classics"), and the look-alikes that must stay
non-eras ("in my 20s", "25 years old", "older brother").

Bare years need a cue word: a number alone is as likely a count, a title ("2012") or a
year of birth, and the caller cannot take back an era it did not ask for.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class EraHit(NamedTuple):
    """A candidate in normalised coordinates; `real` False marks look-alikes that only
    block other readings; `wordy` asks the caller to skip it inside a capitalised title."""

    start: int
    end: int
    low: int | None
    high: int | None
    vague: bool = False
    real: bool = True
    wordy: bool = False


_WORD_DECADES = {
    "twenties": 1920,
    "thirties": 1930,
    "forties": 1940,
    "fifties": 1950,
    "sixties": 1960,
    "seventies": 1970,
    "eighties": 1980,
    "nineties": 1990,
    "noughties": 2000,
    "aughts": 2000,
}
_PARTS = {"early": (0, 3), "mid": (3, 6), "late": (6, 9)}
_DECADE = re.compile(
    r"(?:\bthe\s+)?(?:\b(?P<part>early|mid|late)(?:[\s-]*(?:to|or|and|-|/)[\s-]*"
    r"(?P<part2>early|mid|late))?[\s-]*)?"
    r"(?:(?<![\w.])(?P<full>(?:18|19|20)\d0)'?s|(?<![\w.])'?(?P<short>\d0)'?s"
    r"|(?:\b19[\s-]*)?\b(?P<word>" + "|".join(_WORD_DECADES) + r"))(?![\w'])"
)
# what may stand between two decades of one span: "70s or 80s", "80s, 90s and the 2000s"
_GAP = re.compile(r"\s*,?\s*(?:(?:or|and|to|through|thru|till|until|into|&|/|-)\s*)?(?:the\s+)?")
_LATER = (
    r"onwards?|or\s+(?:later|newer|after|since)|and\s+(?:later|newer|after|up|beyond"
    r"|onwards?)|\+|to\s+(?:now|today|date|the\s+present|present)"
)
_EARLIER = r"or\s+(?:earlier|older|before)|and\s+(?:earlier|older|before|prior)"
_CUE = (
    r"after|post|newer\s+than|later\s+than|since|before|pre|prior\s+to|earlier\s+than"
    r"|older\s+than|until|till|up\s+to|through|in|from|during|of"
)
# "no older than 2000": a comparative's own negation turns it round
_NEG = r"(?P<neg>\b(?:no|not|nothing)\s+)?"
_PRE = re.compile(_NEG + r"\b(?P<cue>" + _CUE + r"|between)[\s-]+$")
_POST = re.compile(
    r"\s*(?:(?P<later>" + _LATER + r")|(?P<earlier>" + _EARLIER + r")"
    r"|(?P<on>on)(?=\s*(?:$|[.,!?;)])))(?!\w)"
)
_AFTER_CUES = ("after", "post", "newer than", "later than")
_BEFORE_CUES = ("before", "pre", "prior to", "earlier than", "older than")
_UNTIL_CUES = ("until", "till", "up to", "through")
_DIRECTED = (*_AFTER_CUES, *_BEFORE_CUES, *_UNTIL_CUES, "since")

_Y = r"(?<![\w.$#/:'])(?:1[89]\d\d|20\d\d)(?![\w:'])"
_YEAR_RANGE = re.compile(
    r"(?:\b(?P<cue>between|from)\s+)?(?:the\s+years?\s+)?(?P<a>" + _Y + r")\s*"
    r"(?P<sep>-|to|through|thru|until|till|and)\s*"
    r"(?P<b>" + _Y + r"|(?:now|today|date|the\s+present|present)\b)"
)
_YEAR_ONE = re.compile(
    r"(?:" + _NEG + r"(?:\b(?:released|made|filmed|shot|came\s+out|come\s+out|out)\s+)?"
    r"\b(?P<cue>" + _CUE + r")[\s-]+(?:the\s+year\s+)?)?(?P<y>" + _Y + r")"
    r"(?:\s*(?:(?P<later>" + _LATER + r")|(?P<earlier>" + _EARLIER + r"))(?!\w))?"
)
_LAST = re.compile(
    r"(?:\b(?:in|from|over|within|during)\s+)?(?:\bthe\s+)?\b(?:last|past|previous)\s+"
    r"(?:(?P<n>\d+|few|several|couple\s+of)\s+)?(?P<unit>years?|decades?)\b"
)
_CENTURY = re.compile(
    r"(?:\b(?:made|released|from|in|of)\s+)?(?:\bthe\s+)?\b(?:(?P<this>this|current|21st"
    r"|twenty[\s-]first)|(?P<last>last|20th|previous))\s+century\b"
)
_THIS_DECADE = re.compile(r"(?:\b(?:from|in)\s+)?\bthis\s+decade\b")

_RECENT = re.compile(
    r"\b(?:(?:most\s+)?recent(?!ly)|recently\s+(?:released|made|out)|newer"
    r"|newest|new\s+releases?|latest|brand[\s-]new|up[\s-]to[\s-]date)\b"
)
_MODERN = re.compile(r"\b(?:modern|contemporary)(?:\s+classics?)?\b")
_OLD = re.compile(
    r"\b(?:old(?:er)?(?:[\s-]school)?|oldies|classics?|golden[\s-]age"
    r"|black[\s-]and[\s-]white|b\s?&\s?w|vintage)\b"
)
_SILENT = re.compile(r"\bsilent[\s-]+(?:era|films?|movies?|pictures?)\b")
_LOOKALIKES = re.compile(
    r"\b(?:i'?m|i\s+am|he'?s|she'?s|we'?re|they'?re|aged?|turn(?:ed|ing|s)?)\s+\d+(?![\d.])"
    r"(?!\s*(?:hours?|hrs?|h\b|minutes?|mins?|%|/|stars?|out\b|\+))"
    r"|\b\d+[\s-]*(?:years?|yrs?)[\s-]*olds?\b"
    r"|\b(?:in|into)\s+(?:my|his|her|their|our|your)\s+(?:(?:early|mid|late)[\s-]+)?"
    r"(?:\d0'?s|" + "|".join(_WORD_DECADES) + r")\b"
    r"|\b(?:how|years?|so|too)\s+old\b|\bold\s+enough\b"
    r"|\bold(?:er)?\s+(?:brothers?|sisters?|sons?|daughters?|kids?|child(?:ren)?|siblings?"
    r"|friends?|folks|people|man|woman|lady|self|times)\b"
    r"|\bborn\s+(?:in\s+)?(?:the\s+)?(?:early\s+|mid\s+|late\s+)?(?:\d{4}|\d0'?s)"
    r"|\bcult[\s-]+classics?\b|\bclassic\s+(?:rock|cars?)\b"
)


# negated comparatives, as the cue that means the same: "no older than" is "since"
_TURNED = {
    "older than": "since",
    "earlier than": "since",
    "newer than": "until",
    "later than": "until",
}


def _turned(cue: str, negated: bool) -> str:
    cue = re.sub(r"\s+", " ", cue)
    return _TURNED.get(cue, cue) if negated else cue


def _is_turned(match: re.Match[str]) -> bool:
    """Whether the match's negation turned its cue round (and so belongs to the span)."""
    return bool(match.group("neg")) and re.sub(r"\s+", " ", match.group("cue") or "") in _TURNED


def _decade_bounds(match: re.Match[str]) -> tuple[int, int] | None:
    if match.group("full"):
        decade = int(match.group("full"))
    elif match.group("short"):
        value = int(match.group("short"))
        decade = 2000 + value if value in (0, 10) else 1900 + value
    else:
        decade = _WORD_DECADES[match.group("word")]
    part, part2 = match.group("part"), match.group("part2")
    if part is None:
        return decade, decade + 9
    return decade + _PARTS[part][0], decade + _PARTS[part2 or part][1]


def _decades(norm: str) -> list[EraHit]:
    """Decades, runs of decades joined by "or"/"and"/"to", with their cue and tail words."""
    cores = [
        (m.start(), m.end(), *b)
        for m in _DECADE.finditer(norm)
        if (b := _decade_bounds(m)) is not None
    ]
    runs: list[list[int]] = []
    for start, end, low, high in cores:
        if runs and _GAP.fullmatch(norm[runs[-1][1] : start]):
            run = runs[-1]
            run[1], run[2], run[3] = end, min(run[2], low), max(run[3], high)
        else:
            runs.append([start, end, low, high])
    hits = []
    for start, end, low, high in runs:
        pre = _PRE.search(norm, max(0, start - 20), start)
        cue = _turned(pre.group("cue"), bool(pre.group("neg"))) if pre else ""
        post = _POST.match(norm, end)
        if post and ((post.group("on") and cue != "from") or cue in _DIRECTED):
            post = None  # "before 1980 or after 2000": the cue has said it
        lo: int | None = low
        hi: int | None = high
        if post and (post.group("later") or post.group("on")):
            hi = None
        elif post and post.group("earlier"):
            lo = None
        elif cue in _AFTER_CUES:
            lo, hi = high + 1, None
        elif cue == "since":
            hi = None
        elif cue in _BEFORE_CUES:
            lo, hi = None, low - 1
        elif cue in _UNTIL_CUES:
            lo = None
        if pre:
            start = pre.start("neg" if _is_turned(pre) else "cue")
        hits.append(EraHit(start, post.end() if post else end, lo, hi))
    return hits


def _year_cue(cue: str, year: int) -> tuple[int | None, int | None]:
    if cue in _AFTER_CUES:
        return year + 1, None
    if cue == "since":
        return year, None
    if cue in _BEFORE_CUES:
        return None, year - 1
    if cue in _UNTIL_CUES:
        return None, year
    return year, year


def _years(norm: str) -> list[EraHit]:
    hits = []
    for m in _YEAR_RANGE.finditer(norm):
        if m.group("sep") == "and" and m.group("cue") != "between":
            continue
        first = int(m.group("a"))
        last = int(m.group("b")) if m.group("b")[0].isdigit() else None
        if last is not None and last < first:
            first, last = last, first
        hits.append(EraHit(m.start(), m.end(), first, last))
    pos = 0
    while (one := _YEAR_ONE.search(norm, pos)) is not None:
        m, pos = one, one.end()
        year = int(m.group("y"))
        cue = _turned(m.group("cue") or "", bool(m.group("neg")))
        start = m.end("neg") if m.group("neg") and not _is_turned(m) else m.start()
        if cue in _DIRECTED:  # "before 1980 or after 2000": the cue has said it
            pos = m.end("y")
            hits.append(EraHit(start, pos, *_year_cue(cue, year)))
        elif m.group("later"):
            hits.append(EraHit(start, m.end(), year, None))
        elif m.group("earlier"):
            hits.append(EraHit(start, m.end(), None, year))
        elif cue:
            hits.append(EraHit(start, m.end(), year, year))
    return hits


def _relative(norm: str, max_year: int) -> list[EraHit]:
    hits = []
    for m in _LAST.finditer(norm):
        count = m.group("n") or "1"
        vague = not count.isdigit()
        n = int(count) if count.isdigit() else {"few": 3, "several": 5}.get(count, 2)
        years = n * 10 if m.group("unit").startswith("decade") else n
        if 0 < years <= 150:
            hits.append(EraHit(m.start(), m.end(), max_year - years + 1, None, vague))
    for m in _CENTURY.finditer(norm):
        hits.append(
            EraHit(m.start(), m.end(), *((2000, None) if m.group("this") else (1900, 1999)))
        )
    for m in _THIS_DECADE.finditer(norm):
        hits.append(EraHit(m.start(), m.end(), max_year // 10 * 10, None))
    return hits


def _vague(norm: str, max_year: int) -> list[EraHit]:
    words: list[tuple[re.Pattern[str], int | None, int | None]] = [
        (_RECENT, max_year - 8, None),
        (_MODERN, 2000, None),
        (_OLD, None, 1979),
        (_SILENT, None, 1929),
    ]
    return [
        EraHit(m.start(), m.end(), low, high, vague=True, wordy=True)
        for pattern, low, high in words
        for m in pattern.finditer(norm)
    ]


def era_hits(norm: str, max_year: int) -> list[EraHit]:
    """Every era reading of the normalised text, overlapping; the caller picks."""
    hits = _decades(norm) + _years(norm) + _relative(norm, max_year) + _vague(norm, max_year)
    hits = [
        h
        for h in hits
        if all(y is None or 1870 <= y <= 2100 for y in (h.low, h.high))
        and (h.low is None or h.high is None or h.low <= h.high)
    ]
    blockers = [
        EraHit(m.start(), m.end(), None, None, real=False) for m in _LOOKALIKES.finditer(norm)
    ]
    return blockers + hits
