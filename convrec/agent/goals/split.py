"""Where a request's list of wants splits into parts.

A part starts again after a separator (a comma, "and", "then", a dash, a new sentence) when
what follows opens a new noun phrase ("a war drama", "something scary", "whichever Cameron
film"), a new wanter ("she wants", "my dad is all about"), or comes after a sequencing word
("and after that", "then"); a list whose parts each name who they are for ("kubrick for me,
spielberg for the kids") splits at its commas. Whether a piece is a sub-goal at all is the
extractor's call (`decompose.has_content`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DETERMINER = (r"(?:also\s+|then\s+)?(?:a|an|one|some|something|somthing|another|anything"
               r"|whichever|whatever|any|two|three|four|2|3|4)\b")
_WANTER = (r"(?:i|she|he|we|they|my\s+[a-z]+(?:\s+[a-z]+)?|our\s+[a-z]+|his\s+[a-z]+|her\s+[a-z]+"
           r"|the\s+(?:kids|children|little\s+ones?|boys|girls))\s+(?:[a-z']+\s+){0,2}?"
           r"(?:wants?|likes?|loves?|adores?|prefers?|enjoys?|needs?|fancies|fancy|is\s+(?:all\s+)?"
           r"(?:into|about)|watches|is\s+a\s+fan\s+of|goes\s+for|would\s+like|'d\s+like|can'?t"
           r"\s+get\s+enough\s+of)\b")
# a sentence break is no separator: "I'd rather have a fantasy movie. Maybe something newer."
# refines one want across sentences
_SEPARATOR = (r"(?:\s*,\s*(?:and\s+|plus\s+|then\s+|but\s+)?|\s*;\s*"
              r"|\s*[+&]\s*|\s+(?:and|plus|then|followed\s+by|as\s+well\s+as|and\s+then|and\s+also|but"
              r"|while|whereas)\s+|\s+[-–—]\s+)")
_SEQUENCE = (r"(?:\s*,?\s*(?:and\s+)?(?:then|after\s+that|afterwards|followed\s+by|and\s+later"
             r"|to\s+follow\s+with)\s+)")
_SPLIT = re.compile(rf"{_SEPARATOR}(?={_DETERMINER}|{_WANTER})|{_SEQUENCE}(?=[a-z])", re.I)
_STRONG = re.compile(rf"{_SEPARATOR}(?={_DETERMINER})|{_SEQUENCE}(?=[a-z])", re.I)
_CERTAIN = re.compile(rf"\b(?:and|plus|then|followed\s+by|as\s+well\s+as|after\s+that)\b|[;+&]"
                      rf"|\s[-–—]\s|(?:^|[,;]\s*){_WANTER}", re.I)
_AUDIENCE = re.compile(r"\bfor\s+(?:me|us|him|her|them|you|my\s+[a-z]+|our\s+[a-z]+|the\s+"
                       r"[a-z]+(?:\s+ones?)?|[A-Z][a-z]+)\b")
_OPENS = re.compile(rf"^(?:{_DETERMINER}|{_WANTER}|(?:i|we)\s*(?:'d|would)?\s*(?:like|want|need)\b"
                    rf"|give\s+me|get\s+me|find\s+me|show\s+me|recommend|suggest|can\s+you"
                    rf"|could\s+you|looking\s+for|i'?m\s+looking\s+for|need)", re.I)
_LIST = re.compile(r"\s*(?:,|;|\band\b|[+&])\s*")  # "or" offers alternatives: one film
# words after the list that every part shares: "a mystery and a historical film, both from
# the 2000s", "... ideally older stuff, before 1970"
_TRAILING_SHARED = re.compile(
    r"(?:[,;.?!]\s*|\s+-\s+)((?:both|all(?:\s+of\s+them)?|each\s+of\s+them|ideally|preferably"
    r"|but\s+all|and\s+all|as\s+long\s+as\s+(?:they|both|all))\b.*)$", re.I)
# an occasion or purpose before the list ("for a talk on how sci-fi changed, I need ...")
_OCCASION = re.compile(r"^for\s+(?!me\b|us\b|him\b|her\b|them\b|my\b|our\b)", re.I)


@dataclass
class Split:
    shared: str  # words every part shares ("two 80s films: ...")
    parts: list[str]
    certain: bool  # a conjunction, a new wanter or a sequence says these are separate
    by_wanter: bool = False  # only a new wanter ("she wants") separates the parts


def split_parts(text: str, *, one_each: bool = False) -> Split:
    """The shared words and the listed parts of a request; one part when it is no list.
    `one_each` ("one of each"): a plain list of kinds is the parts ("war films and
    musicals")."""
    text = " ".join(text.split())  # one space per run: the patterns stay linear in a long run
    head, colon, tail = text.partition(":")
    listed = bool(colon and tail.strip())
    body = tail if listed else text
    shared = [head.strip()] if listed else []
    trailing = _TRAILING_SHARED.search(body)
    if trailing:
        shared.append(trailing.group(1))
        body = body[:trailing.start()]
    parts = _clean(_SPLIT.split(body))
    if len(parts) > 2 and (_OCCASION.match(parts[0]) or not _OPENS.match(parts[0])):
        # the scene before the list applies to every part ("for a talk on sci-fi, ...",
        # "going on a road trip with the kids, ...: some cartoons and a couple of ...")
        shared.append(parts.pop(0))
    if len(parts) < 2:
        pieces = _clean(_LIST.split(body))
        if len(pieces) >= 2 and (one_each or sum(bool(_AUDIENCE.search(p)) for p in pieces) >= 2):
            return Split(" ".join(shared), pieces, True)  # "kubrick for me, spielberg for the kids"
    by_wanter = len(parts) > 1 and len(_clean(_STRONG.split(body))) < 2
    return Split(" ".join(shared), parts, bool(_CERTAIN.search(body)), by_wanter)


def _clean(pieces: list[str]) -> list[str]:
    return [p.strip(" ,;.!?-–—") for p in pieces if p and p.strip(" ,;.!?-–—")]
