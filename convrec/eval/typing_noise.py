"""How people type: casual spelling and typos, applied to a message outside its kept spans.

A message is written with the spans that must reach the agent exactly as the template
phraser spells them (film titles, people's names, languages, numbers and quantities, list
positions) wrapped by `keep`; `casualise` and `add_typos` change only the text between them,
and `release` drops the markers.

- Casual spelling (`casualise`): lower case, dropped apostrophes ("im", "dont"), everyday
  abbreviations ("pls", "smth", "thx", "wanna"), no final full stop.
- Typos (`add_typos`): each word of 4+ letters (letters only: never a number, never a word
  glued to digits) outside the kept spans gets one typo with probability `rate`: two
  adjacent letters swapped, a letter dropped, or a letter doubled; the first letter is left
  alone, as people rarely get it wrong.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

KEEP_OPEN, KEEP_CLOSE = "\x01", "\x02"
_KEPT = re.compile(f"({KEEP_OPEN}.*?{KEEP_CLOSE})", re.DOTALL)
TYPO_WORD = re.compile(r"(?<![\w'])[A-Za-z]{4,}(?![\w'])")
# (pattern, replacements): everyday shortenings, each applied at `ABBREVIATION_RATE`.
ABBREVIATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"\bplease\b", ("pls", "plz")),
    (r"\bsomething\b", ("smth", "sth", "somethin")),
    (r"\bthanks\b", ("thx", "thanx")),
    (r"\bthank you\b", ("thx", "ty")),
    (r"\byou\b", ("u",)),
    (r"\breally\b", ("rly", "realy")),
    (r"\bwant to\b", ("wanna",)),
    (r"\bgoing to\b", ("gonna",)),
    (r"\bkind of\b", ("kinda",)),
    (r"\bbecause\b", ("cuz", "bc")),
    (r"\btonight\b", ("tonite",)),
    (r"\bprobably\b", ("prob",)),
    (r"\bwith\b", ("w/",)),
)
ABBREVIATION_RATE = 0.5
LOWER_RATE = 0.7
APOSTROPHE_RATE = 0.6
FULL_STOP_RATE = 0.5


def keep(text: str) -> str:
    """Mark `text` to reach the agent exactly as written (no casual spelling, no typos)."""
    return f"{KEEP_OPEN}{text}{KEEP_CLOSE}"


def release(text: str) -> str:
    """The message without its markers."""
    return text.replace(KEEP_OPEN, "").replace(KEEP_CLOSE, "")


def kept_spans(text: str) -> list[str]:
    return [span[1:-1] for span in _KEPT.findall(text)]


def outside_kept(text: str, change: Callable[[str], str]) -> str:
    """`text` with `change` applied to each stretch between kept spans."""
    return "".join(part if _KEPT.fullmatch(part) else change(part)
                   for part in _KEPT.split(text))


def casualise(text: str, rng: random.Random) -> str:
    """Casual spelling of a whole message (see the module docstring)."""
    lower = rng.random() < LOWER_RATE
    apostrophes = rng.random() < APOSTROPHE_RATE
    chosen = [(pattern, rng.choice(options)) for pattern, options in ABBREVIATIONS
              if rng.random() < ABBREVIATION_RATE]

    def change(part: str) -> str:
        if lower:
            part = part.lower()
        if apostrophes:
            part = re.sub(r"(?<=[A-Za-z])'(?=[a-z])", "", part)
        for pattern, short in chosen:
            part = re.sub(pattern, short, part, flags=re.IGNORECASE)
        return part

    text = outside_kept(text, change)
    if rng.random() < FULL_STOP_RATE and text.endswith("."):
        text = text[:-1]
    return text


def typo(word: str, rng: random.Random) -> str:
    """One typo in `word` (4+ letters): a swap of two adjacent different letters, a dropped
    letter or a doubled letter, never at the first letter; always a different word."""
    swaps = [i for i in range(1, len(word) - 1) if word[i] != word[i + 1]]
    kind = rng.choice(("swap", "drop", "double") if swaps else ("drop", "double"))
    if kind == "swap":
        i = rng.choice(swaps)
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    i = rng.randrange(1, len(word))
    if kind == "drop":
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def add_typos(text: str, rate: float, rng: random.Random) -> str:
    """Each eligible word gets a typo with probability `rate` (see the module docstring)."""
    if rate <= 0:
        return text

    def change(part: str) -> str:
        return TYPO_WORD.sub(
            lambda m: typo(m.group(), rng) if rng.random() < rate else m.group(), part)

    return outside_kept(text, change)


def typo_candidates(text: str) -> list[str]:
    """The words of a (marked) message that may get a typo."""
    return [word for part in _KEPT.split(text) if not _KEPT.fullmatch(part)
            for word in TYPO_WORD.findall(part)]
