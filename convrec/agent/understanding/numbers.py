"""Numbers in a turn: eras, runtimes and ratings; slots dropped by name ("drop the
language"); "like X but shorter / newer / older"."""

from __future__ import annotations

import re

from convrec.agent.ledger import Ledger, LedgerUpdate
from convrec.agent.understanding.extraction import (
    TitleMention,
)
from convrec.agent.understanding.spans import parse_minutes, year_span
from convrec.agent.understanding.tokens import (
    Token,
    allowed_at,
    consume,
    masked,
    negated_at,
)
from convrec.agent.understanding.vocab import AgentVocab
from convrec.tools.context import ToolContext


class NumberReader:
    """Eras, runtimes, ratings and "like X but newer"."""

    ctx: ToolContext
    vocab: AgentVocab

    def franchise(self, item_ids: list[int]) -> list[int]:
        raise NotImplementedError  # the title reader's

    # era
    def _era(self, text: str, tokens: list[Token], ledger: Ledger, update: LedgerUpdate,
             notes: list[str]) -> None:
        low = masked(text, tokens)
        if re.search(r"\b(any (era|year|decade|time period)|era doesn'?t matter|(year|era|"
                     r"decade) (doesn'?t|does not) matter|regardless of (year|era))\b", low):
            update.era_clear = True
        span = year_span(low, self.vocab.max_year)
        if span is None:
            return
        start, end, kind, (pos, stop) = span
        consume(tokens, pos, stop)
        rest = low[:pos] + " " * (stop - pos) + low[stop:]
        other = year_span(rest, self.vocab.max_year)
        if other is not None and (other[0], other[1]) != (start, end) and kind != "decade":
            notes.append("I can only use one range of years at a time; I used the first one")
        negated = negated_at(tokens, pos)
        allowed = allowed_at(tokens, pos) or bool(
            re.search(r"\b(are|is|would be)\s+(fine|ok|okay|alright|good)\b", low[pos:pos + 40])
        )
        if allowed:
            # widen what the ledger has so this span fits in it
            earlier = ledger.year_from
            if earlier is not None and start is not None and earlier.value > start:
                update.year_from = start
            if ledger.year_to is not None and end is not None and ledger.year_to.value < end:
                update.year_to = end
            return
        if negated:
            if kind == "before":  # "nothing before 2000"
                update.year_from = end + 1 if end is not None else None
            elif kind == "after":  # "nothing after 1990"
                update.year_to = start - 1 if start is not None else None
            elif start is not None and end is not None:  # "not from the 80s": newer
                update.year_from = end + 1
            return
        update.year_from, update.year_to = start, end


    # runtime

    def _runtime(self, text: str, tokens: list[Token], update: LedgerUpdate) -> None:
        low = text.lower()
        if re.search(r"\b(any length|length doesn'?t matter|(long|length|runtime|longer ones?) "
                     r"(is|are) (fine|ok|okay)|don'?t mind (long|longer)|regardless of "
                     r"length)\b", low):
            update.runtime_clear = True
            return
        number = (r"(\d+(?:\.\d+)?|an? hour and a half|one and a half|half an|an?|one|two"
                  r"|three|four|ninety)")
        unit = r"\s*-?\s*(hours?|hrs?|h|minutes?|mins?|m)\b"
        found = False
        for match in re.finditer(
            r"\b(under|less than|shorter than|below|at most|no more than|no longer than|"
            r"max(?:imum)?(?: of)?|within|up to|tops|not over|over|more than|longer than|"
            r"at least|above|minimum(?: of)?)\s+" + number + unit, low
        ):
            minutes = parse_minutes(match.group(2), match.group(3))
            if minutes is None or not 20 <= minutes <= 600:
                continue
            consume(tokens, *match.span())
            at_least = match.group(1) in ("over", "more than", "longer than", "at least",
                                          "above") or match.group(1).startswith("minimum")
            if negated_at(tokens, match.start()):
                at_least = not at_least  # "nothing longer than two hours"
            if at_least:
                update.runtime_min = minutes
            else:
                update.runtime_max = minutes
            found = True
        if found:
            return
        if re.search(r"\b(not too long|nothing too long|not very long|not long|not a long|"
                     r"nothing long)\b", low):
            update.runtime_max = 120
        elif re.search(r"\b(short|shortish|quick|brief)\b(?! (story|stories|film festival))", low):
            update.runtime_max = 100
        elif re.search(r"\b(long|epic|lengthy)\s+(movies?|films?|ones?|epics?)\b", low):
            update.runtime_min = 150


    # rating

    def _rating(self, text: str, tokens: list[Token], update: LedgerUpdate) -> None:
        low = text.lower()
        match = re.search(r"\brated\s+(?:above|over|at least|higher than|more than)\s+"
                          r"(\d+(?:\.\d+)?)(\s*(?:/\s*5|stars?|out of 5))?", low)
        if match:
            value = float(match.group(1)) * (2 if match.group(2) else 1)
            if 0 < value <= 10:
                update.min_rating = value
                consume(tokens, *match.span())
                return
        if re.search(r"\b(highly rated|well rated|top rated|critically acclaimed|acclaimed|"
                     r"well reviewed|good reviews|award winning|masterpieces?|the best)\b", low):
            update.min_rating = 7.0

    # slots dropped by name, keywords, negated names the catalog cannot filter on

    _DROP = re.compile(
        r"\b(?:drop|remove|forget|ignore|lose|clear|scrap|skip|no need for)\s+(?:the\s+|that\s+)?"
        r"(language|era|years?|decade|dates?|runtime|length|time limit|genres?|rating|actors?|"
        r"directors?|people|cast)\b|\b(language|era|year|decade|runtime|length|genre|rating)"
        r"\s+(?:doesn'?t|does not|don'?t) matter\b", re.I)

    def _drops(self, text: str, tokens: list[Token], update: LedgerUpdate) -> None:
        for match in self._DROP.finditer(text):
            slot = (match.group(1) or match.group(2)).lower()
            consume(tokens, *match.span())
            if slot in ("language",):
                update.languages_clear = True
            elif slot in ("era", "year", "years", "decade", "date", "dates"):
                update.era_clear = True
            elif slot in ("runtime", "length", "time limit"):
                update.runtime_clear = True
            elif slot.startswith("genre"):
                update.genres_clear = True
            elif slot == "rating":
                update.rating_clear = True
            else:
                update.people_clear = True


    # "like X but shorter / newer / older"

    def _relative(self, tokens: list[Token], mentions: list[TitleMention], ledger: Ledger,
                  update: LedgerUpdate) -> None:
        """'like X but shorter / newer / older', X named now or liked earlier."""
        liked = [m.item_id for m in mentions if m.sentiment == "liked"] or list(ledger.liked)
        if not liked:
            return
        films = [self.vocab.filters.films[i] for i in liked if i in self.vocab.filters.films]
        runtimes = [f.runtime for f in films if f.runtime]
        years = [f.year for f in films if f.year]
        for tok in tokens:
            if tok.used or tok.negated:
                continue
            if tok.low == "shorter" and runtimes and update.runtime_max is None:
                update.runtime_max = max(60, min(runtimes) - 15)
            elif tok.low == "longer" and runtimes and update.runtime_min is None:
                update.runtime_min = max(runtimes) + 15
            elif tok.low in ("newer", "recent") and years and update.year_from is None:
                update.year_from = max(years) + 1
            elif tok.low == "older" and years and update.year_to is None:
                update.year_to = min(years) - 1
            else:
                continue
            tok.used = True
        named_now = [m.item_id for m in mentions if m.sentiment == "liked"]
        if named_now and any(t.low == "but" for t in tokens):
            update.avoid_ids = self.franchise(named_now)

