"""Text into tokens, clauses and negation scope: what every slot reader walks over.

A negator ("no", "not", "without", "anything but", ...) negates the rest of its clause; "X is
fine" / "don't mind X" allow X instead. Readers mark the tokens they understood as `used`,
so the same words never count twice (and never become a wish).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from convrec.agent.understanding.lexicon import (
    ALLOW_AFTER,
    ALLOW_BEFORE,
    CLAUSE_BREAK,
    CLAUSE_WORDS,
    DEGREE,
    DISLIKING_PREDICATE,
    DISLIKING_PREFIX,
    DROPPING,
    LIGHT,
    LUKEWARM,
    NEGATORS,
    REFUSING,
    REFUSING_PREDICATE,
    TOKEN,
    WELCOMING,
)


@dataclass
class Token:
    text: str
    low: str
    start: int
    end: int
    clause: int = 0
    negated: bool = False
    refused: bool = False  # negated, and surely a refusal: "no horror", not "not too bloody"
    dropped: bool = False  # "instead of X": X is no longer wanted (nor refused)
    cue: bool = False  # part of a negator ("not a huge fan of"): never a wish
    title: bool = False  # part of a film title the turn names
    subgenre: bool = False  # a genre word that names a kind within it ("slasher")
    allowed: bool = False
    used: bool = False

    @property
    def lukewarm(self) -> bool:
        """Negated, but not surely refused: a leaning away ("not a fan of horror")."""
        return self.negated and not self.refused and not self.allowed

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper()



def sanitize(text: str) -> str:
    """NFC, control characters and emoji removed, whitespace collapsed."""
    text = unicodedata.normalize("NFC", str(text))
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat.startswith("C") or cat in ("So", "Sk", "Cs"):
            kept.append(" ")
        else:
            kept.append(ch)
    return " ".join("".join(kept).replace("’", "'").split())


def tokenize(text: str) -> list[Token]:
    tokens = [Token(m.group(), m.group().lower(), m.start(), m.end())
              for m in TOKEN.finditer(text)]
    clause = 0
    for i, tok in enumerate(tokens):
        previous = tokens[i - 1].low if i else ""
        if tok.text in CLAUSE_BREAK or (tok.low in CLAUSE_WORDS and not (
                tok.low == "but" and previous in ("anything", "everything", "all"))):
            clause += 1
        tok.clause = clause
    return tokens


def phrase_at(tokens: list[Token], i: int, phrases: tuple[str, ...] | set[str]) -> int:
    """Length in tokens of the longest phrase starting at token i, 0 if none."""
    best = 0
    for phrase in phrases:
        words = phrase.split()
        n = len(words)
        if i + n <= len(tokens) and [t.low for t in tokens[i:i + n]] == words:
            best = max(best, n)
    return best


def mark_negation(text: str, tokens: list[Token]) -> None:
    """A negator negates the rest of its clause; 'X is fine' / 'don't mind X' allow X.

    Only some negations are sure refusals (`Token.refused`): a refusing negator ("no",
    "nothing", "without", "anything but", "except", "don't want") directly before the
    words, with nothing but determiners between. A taste negator ("not a fan of", "not
    big on", "never"), a degree ("not too bloody", "full of"), or words further away are
    negated but lukewarm: the readers make them leanings, never filters. So are the
    subjects of a disliking predicate after them ("westerns aren't really my thing").
    """
    negators = tuple(NEGATORS)
    for i, tok in enumerate(tokens):
        n = phrase_at(tokens, i, negators)
        if not n:
            continue
        before = text[:tok.start].lower()
        if ALLOW_BEFORE.search(before + " " + " ".join(t.low for t in tokens[i:i + n])):
            continue
        if tok.low in ("don't", "dont", "do") and i + 1 < len(tokens) and tokens[i + 1].low in (
            "mind",
        ):
            continue
        phrase = " ".join(t.low for t in tokens[i:i + n])
        if WELCOMING.search(before[-30:] + " " + phrase + " " + text[tok.end:tok.end + 12].lower()):
            continue  # "I wouldn't say no to a western", "not against a rom com": wanted
        for part in tokens[i:i + n]:
            part.cue = True
        refusing = phrase in REFUSING and phrase_at(tokens, i, LUKEWARM) <= n
        gap: list[str] = []
        previous_refused = False
        for later in tokens[i + n:]:
            if later.clause != tok.clause:
                break
            if phrase in DROPPING:
                later.dropped = True
                continue
            later.negated = True
            if refusing and not (set(gap) - LIGHT) and len(gap) <= 3 and not (
                set(gap) & DEGREE
            ):
                later.refused = True
            if later.low in ("and", "or", "nor", "&", "/") and gap and previous_refused:
                gap = []  # "except musicals and westerns": the next item of a list of refusals
                continue
            gap.append(later.low)
            previous_refused = later.refused
    _mark_disliking_predicates(text, tokens)
    for i, tok in enumerate(tokens):
        rest = text[tok.end:]
        before = text[:tok.start]
        if ALLOW_BEFORE.search(before.lower()):
            for later in tokens[i:]:
                if later.clause != tok.clause:
                    break
                later.allowed, later.negated, later.refused = True, False, False
            break
        if ALLOW_AFTER.match(rest.lower()):
            j = i
            while j >= 0 and tokens[j].clause == tok.clause:
                tokens[j].allowed, tokens[j].negated, tokens[j].refused = True, False, False
                j -= 1


def _mark_disliking_predicates(text: str, tokens: list[Token]) -> None:
    """'westerns aren't really my thing', 'documentaries bore me', 'I'm kinda over
    superhero movies': the subject (or object) is disliked, lukewarm."""
    low = text.lower()
    for pattern, refused in ((DISLIKING_PREDICATE, False), (REFUSING_PREDICATE, True)):
        for match in pattern.finditer(low):
            clause = next((t.clause for t in tokens if t.start >= match.start()), None)
            for tok in tokens:
                if tok.end <= match.start() and tok.clause == clause and not tok.negated:
                    tok.negated, tok.refused = True, refused
    for match in DISLIKING_PREFIX.finditer(low):
        after = [t for t in tokens if t.start >= match.end()]
        clause = after[0].clause if after else None
        for tok in after:
            if tok.clause != clause:
                break
            tok.negated, tok.refused = True, False


def consume(tokens: list[Token], start: int, end: int) -> None:
    """Mark the tokens inside text[start:end] as understood (they are not a wish)."""
    for tok in tokens:
        if tok.start < end and tok.end > start:
            tok.used = True


def negated_at(tokens: list[Token], pos: int) -> bool:
    return any(t.negated for t in tokens if t.start <= pos < t.end + 1)


def allowed_at(tokens: list[Token], pos: int) -> bool:
    return any(t.allowed for t in tokens if t.start <= pos < t.end + 1)



def blanked(text: str, tokens: list[Token]) -> str:
    """`text` with the words already understood (film titles, names) blanked out; the
    offsets of the rest stay as they were. The blanks are commas, so the words on either
    side never read as one phrase ("no horror, under two hours" is not "no ... under")."""
    chars = list(text)
    for tok in tokens:
        if tok.used:
            chars[tok.start:tok.end] = "," * (tok.end - tok.start)
    return "".join(chars)


def sentence_start(tokens: list[Token], i: int) -> bool:
    """Whether tokens[i] begins a sentence (its capital proves nothing)."""
    return i == 0 or tokens[i - 1].text in (".", "!", "?", ":", '"', "“", "-", "—")


def word_windows(tokens: list[Token], sizes: tuple[int, ...]) -> Iterator[tuple[int, list[Token]]]:
    """Every run of `sizes` word tokens none of which is understood yet, longest first
    (a reader marks what it takes as it goes, so later windows skip it)."""
    for n in sizes:
        for i in range(len(tokens) - n + 1):
            window = tokens[i:i + n]
            if not any(t.used or not re.match(r"\w", t.text) for t in window):
                yield i, window
