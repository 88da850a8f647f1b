"""Numbers in a turn: eras ("the 90s", "between 1995 and 2005", "70s or 80s", "recent")
and runtimes ("two hours", "90 minutes"). Pure functions over lower-cased text."""

from __future__ import annotations

import re

NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "ninety": 90,
                 "one and a half": 1.5, "an hour and a half": 1.5, "half an": 0.5}
WORD_DECADES = {"twenties": 1920, "thirties": 1930, "forties": 1940, "fifties": 1950,
                 "sixties": 1960, "seventies": 1970, "eighties": 1980, "nineties": 1990}




def parse_minutes(number: str, unit: str | None) -> int | None:
    number = number.strip()
    if number in NUMBER_WORDS:
        value = float(NUMBER_WORDS[number])
    else:
        try:
            value = float(number)
        except ValueError:
            return None
    if number in ("an hour and a half",):
        return 90
    if unit is None:
        return int(value) if value >= 20 else int(value * 60)
    if unit.startswith("h"):
        return round(value * 60)
    return int(value)


def decade_value(text: str) -> int:
    """'70' -> 1970, '00' -> 2000, '1980' -> 1980."""
    value = int(text)
    if value < 100:
        value += 2000 if value in (0, 10) else 1900
    return value


def _decade_of(match: re.Match[str]) -> int | None:
    century, tens, short = match.group("c"), match.group("d"), match.group("s")
    if century is not None and tens is not None:
        return int(century + tens + "0")
    if short is not None:
        value = int(short + "0")
        return 2000 + value if value in (0, 10) else 1900 + value
    return None


_DECADE = r"(?:the\s+)?(?:(?P<c>19|20)(?P<d>\d)0'?s|'?(?P<s>\d)0'?s)\b"
_YEAR = r"(1[89]\d\d|20\d\d)"


YearSpan = tuple[int | None, int | None, str, tuple[int, int]]


def year_span(low: str, max_year: int) -> YearSpan | None:
    """(from, to, kind, position) of the first era expression in `low`."""
    match = re.search(r"\b(?:between|from)\s+" + _YEAR + r"\s+(?:and|to|-|until|till)\s+"
                      + _YEAR + r"\b|\b" + _YEAR + r"\s*(?:-|–|to)\s*" + _YEAR + r"\b", low)
    if match:
        years = [int(g) for g in match.groups() if g]
        return min(years), max(years), "range", match.span()
    match = re.search(r"\b(?:the\s+)?'?((?:19|20)?\d0)'?s\s*(?:or|and|to|through|till|until|-|–)"
                      r"\s*(?:the\s+)?'?((?:19|20)?\d0)'?s\b", low)
    if match:
        first, last = decade_value(match.group(1)), decade_value(match.group(2))
        if first <= last:
            return first, last + 9, "range", match.span()
    match = re.search(r"\b(early|mid|late)[\s-]+" + _DECADE, low)
    if match:
        decade = _decade_of(match)
        if decade is not None:
            part = match.group(1)
            low_y, high_y = {"early": (0, 3), "mid": (3, 6), "late": (6, 9)}[part]
            return decade + low_y, decade + high_y, "decade", match.span()
    match = re.search(r"\b(after|since|post|newer than|later than|from|released after|"
                      r"before|pre|older than|earlier than|until|up to|through|prior to|in)"
                      r"\s+(?:the\s+(?:year\s+)?)?" + _YEAR + r"\b", low)
    if match:
        word, year = match.group(1), int(match.group(2))
        if word in ("after", "post", "newer than", "later than", "released after"):
            return year + 1, None, "after", match.span()
        if word == "since":
            return year, None, "after", match.span()
        if word in ("before", "pre", "older than", "earlier than", "prior to"):
            return None, year - 1, "before", match.span()
        if word in ("until", "up to", "through"):
            return None, year, "before", match.span()
        if word == "in":
            return year, year, "year", match.span()
        # "from 1995": that year on, unless a decade follows
        return year, None, "after", match.span()
    match = re.search(r"\b(after|since|before|from|until)\s+" + _DECADE, low)
    if match:
        decade = _decade_of(match)
        if decade is not None:
            if match.group(1) in ("after",):
                return decade + 10, None, "after", match.span()
            if match.group(1) == "since":
                return decade, None, "after", match.span()
            if match.group(1) in ("before",):
                return None, decade - 1, "before", match.span()
            if match.group(1) == "until":
                return None, decade + 9, "before", match.span()
    match = re.search(_DECADE, low)
    if match:
        decade = _decade_of(match)
        if decade is not None and 1900 <= decade <= max_year:
            return decade, decade + 9, "decade", match.span()
    for word, decade in WORD_DECADES.items():
        pos = low.find(word)
        if pos >= 0:
            return decade, decade + 9, "decade", (pos, pos + len(word))
    match = re.search(r"\b(?:released in|from|made in|came out in)\s+" + _YEAR, low)
    if match:
        year = int(match.group(1))
        return year, year, "year", match.span()
    match = re.search(r"\b(recent|newer|new releases?|latest|modern|contemporary|old|older|"
                      r"classic old|oldies|black and white|silent era|golden age)\b", low)
    if match:
        word = match.group(1)
        if word in ("recent", "newer", "new release", "new releases", "latest"):
            return max_year - 6, None, "after", match.span()
        if word in ("modern", "contemporary"):
            return 2000, None, "after", match.span()
        if word in ("black and white", "silent era", "golden age"):
            return None, 1960, "before", match.span()
        return None, 1979, "before", match.span()
    return None
