"""The claim checker: every content-bearing assertion of a reply, checked against the turn's data.

A reply written by a language model may only say what the turn can ground. `check_claims`
splits the text into claims and looks each one up in `Grounds`, which is built from the turn
alone (`Grounds.build`): the ledger's chips, constraints and wishes, the films the user
liked, the user's own message, and the cards (title, year, genres, runtime, directors,
cast, overview, the reason written from the tools' evidence). Nothing else is allowed
except a short closed list of function and phrasing words ("here are some", "you might
enjoy", "films", "picks").

Claims, by kind:

- name: a run of capitalised words (not a lone sentence-initial word), split at
  possessives. It must be covered, whole, by names of the turn: card titles (with or
  without a leading article), people (full names or surnames), genres, languages, studios,
  keywords, liked titles, and capitalised runs of the message and the evidence texts.
  Each word of a title existing somewhere is not enough: the title must.
- genre: a genre of the catalog, in any of its forms ("comedies", "romantic", "sci-fi").
  Supported when the user asked for it (ledger, a leaning, the message) or at least half
  of the cards carry it; a genre that merely appears in some reason is not asked for.
- year, decade, number: a year must be a card's year, a ledger bound or written in the
  turn's texts; a decade ("90s", "1990s", "nineties") must overlap the ledger's era, be
  written in the message, or hold every card's year; other numbers must appear in the
  turn's texts (the number of cards counts).
- word: any other content word (nouns, adjectives, verbs: plot words, moods, praise). Its
  stem must occur in the turn's texts (a card with directors or cast also grounds
  "directed" or "starring", `ROLE_WORDS`). Hyphenated words count when whole or every part does.

Whatever matches something the user excluded ("no Horror", "no Adam Sandler") is
unsupported unless a negation precedes it in the same sentence.

Stemming is a small suffix stripper applied alike to both sides ("comedies" ~ "comedy",
"animated" ~ "animation"); genre forms come from `GENRE_FORMS`, keyed by the catalog's genre
names (a genre not listed there is matched by its own name only).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from convrec.agent.claims_grounds import CardFacts, Grounds
from convrec.agent.claims_text import (
    CONNECTORS,
    FUNCTION_WORDS,
    LIST_MARKER,
    NEGATIONS,
    NUMBER_WORDS,
    PHRASING_WORDS,
    SCOPE_END,
    Token,
    decade,
    number,
    runs,
    stem,
    tokens,
)
from convrec.catalog.normalize import word_key

__all__ = ["CardFacts", "Claim", "ClaimCheck", "ClaimKind", "Grounds", "check_claims", "stem"]

ClaimKind = Literal["name", "genre", "year", "decade", "number", "word"]
NOT_ASKED = "neither asked for nor most of the films"


# ----------------------------------------------------------------------------- claims


@dataclass(frozen=True)
class Claim:
    """One assertion of the text: what it says, of which kind, and whether the turn grounds it."""

    text: str
    kind: ClaimKind
    supported: bool
    why: str = ""
    at: int = 0  # where in the text


@dataclass
class ClaimCheck:
    """Every claim of a text; `unsupported` are those the turn does not ground."""

    text: str
    claims: list[Claim] = field(default_factory=list)

    @property
    def unsupported(self) -> list[Claim]:
        return [c for c in self.claims if not c.supported]

    @property
    def ok(self) -> bool:
        return not self.unsupported

    def describe(self) -> str:
        """The unsupported claims in one line, for logs and reports."""
        return "; ".join(f"{c.kind} {c.text!r}" for c in self.unsupported) or "none"


def _covered(words: list[str], names: set[tuple[str, ...]], longest: int) -> bool:
    """Whether the run's words are a sequence of known names (connectors may sit between)."""
    ok = [False] * (len(words) + 1)
    ok[0] = True
    for i in range(len(words)):
        if not ok[i]:
            continue
        if words[i] in CONNECTORS:
            ok[i + 1] = True
        for size in range(1, min(longest, len(words) - i) + 1):
            if tuple(words[i:i + size]) in names:
                ok[i + size] = True
    return ok[-1]


def _merge_possessives(runs: list[list[Token]], toks: Sequence[Token], grounds: Grounds,
                       longest: int) -> list[list[Token]]:
    """A run split at a possessive joins the next one when together they are a known name
    ("Wayne's World", "Ocean's Eleven")."""
    out: list[list[Token]] = []
    position = {t.start: i for i, t in enumerate(toks)}
    for run in runs:
        if out and position[run[0].start] == position[out[-1][-1].start] + 1:
            merged = out[-1] + run
            if _covered([word_key(t.text) for t in merged], grounds.names, longest) and not (
                    _covered([word_key(t.text) for t in out[-1]], grounds.names, longest)
                    and _covered([word_key(t.text) for t in run], grounds.names, longest)):
                out[-1] = merged
                continue
        out.append(run)
    return out


def _negated(toks: Sequence[Token], index: int) -> bool:
    for j in range(index - 1, max(-1, index - 5), -1):
        if toks[j].text.lower().replace("’", "'") in NEGATIONS or toks[j].text.lower().endswith(
                "n't"):
            return True
        if toks[j + 1].sentence_start:
            break
    return False


def check_claims(text: str, grounds: Grounds) -> ClaimCheck:
    """Every content claim of `text`, each marked supported or not by `grounds`."""
    toks = tokens(LIST_MARKER.sub(lambda m: " " * len(m.group(0)), text))
    result = ClaimCheck(text=text)
    in_name: set[int] = set()
    longest = max((len(n) for n in grounds.names), default=1)
    index_of = {t.start: i for i, t in enumerate(toks)}
    for run in _merge_possessives(runs(toks), toks, grounds, longest):
        words = [word_key(t.text) for t in run]
        # a sentence-initial phrasing word before a name is not part of it ("Since Alien")
        while words and run[0].sentence_start and (words[0] in FUNCTION_WORDS
                                                   or words[0] in PHRASING_WORDS):
            in_name.add(index_of[run[0].start])
            run, words = run[1:], words[1:]
        if not run:
            continue
        in_name |= {index_of[t.start] for t in run}
        phrase = " ".join(t.text for t in run)
        genre = grounds.genre_forms.get(" ".join(stem(t.text) for t in run))
        if genre is not None:
            result.claims.append(_genre_claim(phrase, genre, grounds, toks,
                                              index_of[run[0].start]))
            continue
        if all(w in CONNECTORS for w in words):
            continue
        excluded = tuple(w for w in words if w not in CONNECTORS)
        if (any(excluded[i:i + len(n)] == n for n in grounds.excluded_names
                for i in range(len(excluded)))
                and not _negated(toks, index_of[run[0].start])):
            result.claims.append(Claim(phrase, "name", False, "the user excluded it"))
            continue
        ok = _covered(words, grounds.names, longest)
        result.claims.append(Claim(phrase, "name", ok, "" if ok else "no such name in the turn"))
    i = 0
    while i < len(toks):
        if i in in_name:
            i += 1
            continue
        tok = toks[i]
        low = tok.text.lower().replace("’", "'")
        # multi-word genre forms first ("science fiction", "tv movie")
        pair = " ".join(stem(t.text) for t in toks[i:i + 2]) if i + 1 < len(toks) else ""
        if pair and pair in grounds.genre_forms and i + 1 not in in_name:
            result.claims.append(_genre_claim(f"{tok.text} {toks[i + 1].text}",
                                              grounds.genre_forms[pair], grounds, toks, i))
            i += 2
            continue
        claim = _word_claim(tok, low, grounds, toks, i)
        if claim is not None:
            result.claims.append(claim)
        i += 1
    for n, claim in enumerate(result.claims):
        if claim.kind == "genre" and claim.why == NOT_ASKED:
            genre = grounds.genre_forms.get(" ".join(stem(w) for w in claim.text.split()))
            if genre is not None and _said_of_a_film(claim, text, genre, grounds):
                result.claims[n] = Claim(claim.text, "genre", True, "said of a film that has it",
                                         claim.at)
    return result


def _genre_claim(text: str, genre: str, grounds: Grounds, toks: Sequence[Token], index: int
                 ) -> Claim:
    at = toks[index].start
    if genre in grounds.excluded_genres:
        ok = _negated(toks, index)
        return Claim(text, "genre", ok, "" if ok else "the user excluded it", at)
    ok = genre in grounds.genres_ok
    return Claim(text, "genre", ok, "" if ok else NOT_ASKED, at)


def _said_of_a_film(claim: Claim, text: str, genre: str, grounds: Grounds) -> bool:
    """A genre said in the same sentence or list line as a card that has it ("Amelie (2001),
    a comedy")."""
    starts = [0, *(m.end() for m in SCOPE_END.finditer(text))]
    begin = max(s for s in starts if s <= claim.at)
    after = [s for s in starts if s > claim.at]
    words = [word_key(t.text) for t in tokens(text[begin:after[0] if after else len(text)])]
    return any(words[i:i + len(key)] == list(key) for key in grounds.genre_titles.get(genre, ())
               if key for i in range(len(words) - len(key) + 1))


def _word_claim(tok: Token, low: str, grounds: Grounds, toks: Sequence[Token], index: int
                ) -> Claim | None:
    years = decade(low)
    if years is not None:
        low_bound, high_bound = grounds.era
        overlaps = ((low_bound is not None or high_bound is not None)
                    and (low_bound or 0) <= years + 9 and years <= (high_bound or 9999))
        every = bool(grounds.card_years) and all(
            years <= y <= years + 9 for y in grounds.card_years)
        ok = overlaps or every or years in grounds.decades_said
        return Claim(tok.text, "decade", ok, "" if ok else "not the era asked for or shown")
    value = number(low) if low[:1].isdigit() or low[:1] == "'" else None
    if value is None and low in NUMBER_WORDS:
        value = float(NUMBER_WORDS[low])
    if value is not None:
        if value.is_integer() and 1870 <= value <= 2039 and "." not in low:
            ok = int(value) in grounds.years or value in grounds.numbers
            return Claim(tok.text, "year", ok, "" if ok else "no such year in the turn")
        ok = value in grounds.numbers
        return Claim(tok.text, "number", ok, "" if ok else "no such number in the turn")
    if low in FUNCTION_WORDS or low in PHRASING_WORDS or word_key(low) in FUNCTION_WORDS:
        return None
    key = stem(low)
    if key in grounds.genre_forms:
        return _genre_claim(tok.text, grounds.genre_forms[key], grounds, toks, index)
    if key in grounds.excluded_stems and not _negated(toks, index):
        return Claim(tok.text, "word", False, "the user excluded it")
    if key in grounds.stems:
        return Claim(tok.text, "word", True)
    parts = [p for p in re.split(r"[-']", low) if p]
    if len(parts) > 1 and all(p in FUNCTION_WORDS or stem(p) in grounds.stems for p in parts):
        return Claim(tok.text, "word", True)
    return Claim(tok.text, "word", False, "not in the turn's data")
