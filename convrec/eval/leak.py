"""The leak audit: did a simulated user name their own target? Such a dialogue measures title
lookup, not recommendation, so it is dropped from the metrics and counted in the report.

A message leaks when it contains one of the target's titles (any known title: display,
original, alias, as written in ReDial), compared after normalisation (lower case, accents and
punctuation dropped) as whole words, with or without a leading article; or, for titles of at
least `FUZZY_MIN_CHARS` characters, when some window of the message matches the title with a
rapidfuzz ratio of at least `FUZZY_MIN_SCORE` (a misspelt or re-punctuated title). Titles of
one short word ("Up", "It", "Her") are common words: they count only when written with the
title's capitals in the middle of a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz import fuzz

from convrec.catalog.normalize import phrase_key

FUZZY_MIN_CHARS = 8
FUZZY_MIN_SCORE = 90.0
SHORT_TITLE_CHARS = 4


def _short_word_leak(message: str, title: str) -> bool:
    for match in re.finditer(rf"\b{re.escape(title)}\b", message):
        before = message[:match.start()].rstrip()
        if before and before[-1] not in ".!?\"“":
            return True
    return False


def find_leak(message: str, titles: Iterable[str]) -> str | None:
    """The first target title `message` names, with how ('exact' or 'fuzzy 93'), or None."""
    norm_message = phrase_key(message)
    padded = f" {norm_message} "
    words = norm_message.split()
    for title in titles:
        norm = phrase_key(title)
        if not norm:
            continue
        if " " not in norm and len(norm) <= SHORT_TITLE_CHARS:
            if _short_word_leak(message, title.strip()):
                return f"{title!r} (exact)"
            continue
        if f" {norm} " in padded:
            return f"{title!r} (exact)"
        bare = re.sub(r"^(the|a|an) ", "", norm)  # "Shawshank Redemption" names it too
        if " " in bare and f" {bare} " in padded:
            return f"{title!r} (exact)"
        for form in dict.fromkeys((norm, bare)):
            score = _fuzzy(form, words)
            if score is not None:
                return f"{title!r} (fuzzy {score:.0f})"
    return None


def _fuzzy(title: str, words: list[str]) -> float | None:
    """The best ratio of a window of about the title's length, if it reaches the bar."""
    if len(title) < FUZZY_MIN_CHARS:
        return None
    size = len(title.split())
    for n in sorted({max(1, size - 1), size, size + 1}):
        for i in range(max(0, len(words) - n + 1)):
            score = fuzz.ratio(title, " ".join(words[i:i + n]))
            if score >= FUZZY_MIN_SCORE:
                return score
    return None
