"""English number words rewritten as digits ("ninety" -> "90", "two and a half" -> "2.5",
"a couple of hours" -> "2 hours"), with a map from the rewritten text back to the original
offsets, so the quantity patterns only ever see digits and still report the user's words.

Hand-written on purpose: text2num's `alpha2digit` leaves small numbers ("two") as words and
returns no offsets, and word2number silently drops "and a half"; both matter here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
_TEENS = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_FRACTIONS = {"half": 0.5, "quarter": 0.25}
# "twenty-first" is an ordinal: its "twenty" stays a word
_ORDINALS = {"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"}
# "nineteen eighty-five" is a year, not 19 then 85
_CENTURIES = {"eighteen": 1800, "nineteen": 1900}

_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+")
_JOINER = re.compile(r"[ \t-]+")
# "a couple of" is 2 only before a unit: "a couple of friends" stays as it is
_COUPLE = re.compile(
    r"\b(?:a\s+)?couple(?:\s+of)?(?=\s+(?:hours?|hrs?|years?|decades?|"
    r"minutes?|mins?)\b)"
)
# same length as the input, so offsets survive: typographic quotes and dashes as ASCII
_ASCII = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u2032": "'",
        "\u2013": "-",
        "\u2014": "-",
        "\u2012": "-",
        "\u00a0": " ",
    }
)


@dataclass(frozen=True)
class Normalised:
    """Lower-cased text with number words as digits; `starts`/`ends` give, for each of its
    characters, the original span it came from."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the non-empty normalised span [start, end)."""
        return self.starts[start], self.ends[end - 1]


def lower_same_length(text: str) -> str:
    """Lower-case character by character: `str.lower` may lengthen some letters ("İ"),
    which would shift every offset after them."""
    return "".join(ch.lower()[:1] for ch in text).translate(_ASCII)


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


class _Tokens:
    """Word and digit tokens of the lowered text, and which neighbours are joined by
    nothing but spaces or hyphens (so they may belong to one number)."""

    def __init__(self, low: str) -> None:
        matches = list(_TOKEN.finditer(low))
        self.words = [m.group() for m in matches]
        self.spans = [m.span() for m in matches]
        self.linked = [
            _JOINER.fullmatch(low[a[1] : b[0]]) is not None
            for a, b in zip(self.spans, self.spans[1:], strict=False)
        ]

    def word(self, i: int) -> str:
        return self.words[i] if 0 <= i < len(self.words) else ""

    def next_word(self, i: int) -> str:
        """The token after `i` when it is joined to it, else ''."""
        return self.words[i + 1] if i + 1 < len(self.words) and self.linked[i] else ""


def _two_digits(toks: _Tokens, i: int) -> tuple[int, int] | None:
    """10-99 written as words at `i` ("eighty-five", "twelve"): value, index after."""
    word = toks.word(i)
    if word in _TEENS:
        return _TEENS[word], i + 1
    if word in _TENS:
        if toks.next_word(i) in _UNITS and toks.next_word(i) != "zero":
            return _TENS[word] + _UNITS[toks.next_word(i)], i + 2
        return _TENS[word], i + 1
    return None


def _cardinal(toks: _Tokens, i: int) -> tuple[int, int] | None:
    """The longest cardinal in words starting at token `i`: value, index after."""
    word = toks.word(i)
    if word in _CENTURIES and toks.next_word(i):
        tail = _two_digits(toks, i + 1)
        if tail is not None:
            return _CENTURIES[word] + tail[0], tail[1]
    total = current = 0
    last = ""
    j = i
    if word in ("a", "an") and toks.next_word(i) in ("hundred", "thousand"):
        current, last, j = 1, "unit", i + 1
    while j < len(toks.words):
        if j > i and not toks.linked[j - 1]:
            break
        word = toks.words[j]
        opening = last in ("", "hundred", "thousand", "and")
        if word in _UNITS and (opening or last == "tens"):
            current += _UNITS[word]
            last = "unit"
        elif word in _TEENS and opening:
            current += _TEENS[word]
            last = "teen"
        elif word in _TENS and opening:
            current += _TENS[word]
            last = "tens"
        elif word == "hundred" and last in ("unit", "teen", "tens") and 1 <= current < 100:
            current *= 100
            last = "hundred"
        elif word == "thousand" and last in ("unit", "teen", "tens", "hundred") and not total:
            total, current = current * 1000, 0
            last = "thousand"
        elif (
            word == "and"
            and last in ("hundred", "thousand")
            and (
                toks.next_word(j) in _UNITS
                or toks.next_word(j) in _TEENS
                or toks.next_word(j) in _TENS
            )
        ):
            last = "and"
        else:
            break
        j += 1
    if last in ("", "and"):
        return None
    return total + current, j


def _fraction(toks: _Tokens, j: int) -> tuple[float, int]:
    """ "and a half" / "and a quarter" right after a number ending before token `j`."""
    if (
        j > 0
        and toks.word(j) == "and"
        and toks.linked[j - 1]
        and toks.next_word(j) == "a"
        and toks.next_word(j + 1) in _FRACTIONS
    ):
        return _FRACTIONS[toks.words[j + 2]], j + 3
    return 0.0, j


def number_phrases(low: str) -> list[tuple[int, int, float]]:
    """(start, end, value) of each number written in words in the lowered text, plus digits
    followed by "and a half"; in order and non-overlapping."""
    toks = _Tokens(low)
    found: list[tuple[int, int, float]] = []
    i = 0
    while i < len(toks.words):
        word = toks.words[i]
        value: float
        if word[0].isdigit():
            value, j = float(word), i + 1
            extra, k = _fraction(toks, j)
            if not extra:
                i += 1
                continue
        else:
            parsed = _cardinal(toks, i)
            if parsed is None:
                i += 1
                continue
            value, j = parsed
            if toks.next_word(j - 1) in _ORDINALS:
                i = j + 1
                continue
            extra, k = _fraction(toks, j)
        found.append((toks.spans[i][0], toks.spans[k - 1][1], value + extra))
        i = k
    for match in _COUPLE.finditer(low):
        if all(match.end() <= s or match.start() >= e for s, e, _ in found):
            found.append((match.start(), match.end(), 2.0))
    return sorted(found)


def normalise(text: str) -> Normalised:
    """`text` lower-cased, with every number phrase rewritten as digits."""
    low = lower_same_length(text)
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for start, end, value in number_phrases(low):
        pieces.append(low[pos:start])
        starts.extend(range(pos, start))
        ends.extend(range(pos + 1, start + 1))
        digits = _fmt(value)
        pieces.append(digits)
        starts.extend([start] * len(digits))
        ends.extend([end] * len(digits))
        pos = end
    pieces.append(low[pos:])
    starts.extend(range(pos, len(low)))
    ends.extend(range(pos + 1, len(low) + 1))
    return Normalised("".join(pieces), tuple(starts), tuple(ends))
