"""Text into tokens, clauses and negation scope: what every slot reader walks over.

A negator ("no", "not", "without", "anything but", ...) negates the rest of its clause; "X is
fine" / "don't mind X" allow X instead. Readers mark the tokens they understood as `used`,
so the same words never count twice (and never become a wish).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from convrec.agent.understanding.lexicon import (
    ALLOW_AFTER,
    ALLOW_BEFORE,
    CLAUSE_BREAK,
    CLAUSE_WORDS,
    NEGATORS,
    TOKEN,
)


@dataclass
class Token:
    text: str
    low: str
    start: int
    end: int
    clause: int = 0
    negated: bool = False
    allowed: bool = False
    used: bool = False

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
    for tok in tokens:
        if tok.text in CLAUSE_BREAK or tok.low in CLAUSE_WORDS:
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
    """A negator negates the rest of its clause; 'X is fine' / 'don't mind X' allow X."""
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
        for later in tokens[i + n:]:
            if later.clause != tok.clause:
                break
            later.negated = True
    for i, tok in enumerate(tokens):
        rest = text[tok.end:]
        before = text[:tok.start]
        if ALLOW_BEFORE.search(before.lower()):
            for later in tokens[i:]:
                if later.clause != tok.clause:
                    break
                later.allowed, later.negated = True, False
            break
        if ALLOW_AFTER.match(rest.lower()):
            j = i
            while j >= 0 and tokens[j].clause == tok.clause:
                tokens[j].allowed, tokens[j].negated = True, False
                j -= 1


def consume(tokens: list[Token], start: int, end: int) -> None:
    """Mark the tokens inside text[start:end] as understood (they are not a wish)."""
    for tok in tokens:
        if tok.start < end and tok.end > start:
            tok.used = True


def negated_at(tokens: list[Token], pos: int) -> bool:
    return any(t.negated for t in tokens if t.start <= pos < t.end + 1)


def allowed_at(tokens: list[Token], pos: int) -> bool:
    return any(t.allowed for t in tokens if t.start <= pos < t.end + 1)



def masked(text: str, tokens: list[Token]) -> str:
    """`text` lower-cased with the words already understood blanked out."""
    chars = list(text)
    for tok in tokens:
        if tok.used:
            chars[tok.start:tok.end] = " " * (tok.end - tok.start)
    return "".join(chars).lower()
