"""Numbers in a turn: eras, runtimes and ratings; slots dropped by name ("drop the
language"); "like X but shorter / newer / older"."""

from __future__ import annotations

import re

from convrec.agent.ledger import Ledger, LedgerUpdate
from convrec.agent.understanding.acts import REQUEST_CUE
from convrec.agent.understanding.extraction import (
    TitleMention,
)
from convrec.agent.understanding.quantities import Quantity, find_quantities
from convrec.agent.understanding.tokens import (
    Token,
    allowed_at,
    blanked,
    consume,
    negated_at,
)
from convrec.agent.understanding.vocab import AgentVocab
from convrec.tools.context import ToolContext
from convrec.tools.soft import SoftPreference, era_label

MAX_RUNTIME = 24 * 60  # minutes; a longer "runtime" is no film's


class NumberReader:
    """Eras, runtimes, ratings and "like X but newer"."""

    ctx: ToolContext
    vocab: AgentVocab

    def franchise(self, item_ids: list[int]) -> list[int]:
        raise NotImplementedError  # the title reader's

    # eras, runtimes, ratings

    def _quantities(self, text: str, tokens: list[Token], ledger: Ledger, update: LedgerUpdate,
                    notes: list[str]) -> None:
        """Every era, runtime and rating statement (quantities.py finds them): a precise one
        is a hard constraint, a vague one ("not too long", "recent", "well reviewed") a
        leaning."""
        low = text.lower()
        if re.search(r"\b(any (era|year|decade|time period)|era doesn'?t matter|(year|era|"
                     r"decade) (doesn'?t|does not) matter|regardless of (year|era))\b", low):
            update.era_clear = True
        if re.search(r"\b(any length|length doesn'?t matter|(long|length|runtime|longer ones?) "
                     r"(is|are) (fine|ok|okay)|don'?t mind (long|longer)|regardless of "
                     r"length)\b", low):
            update.runtime_clear = True
        eras = 0
        story = _story_spans(text)
        found = find_quantities(blanked(text, tokens), max_year=self.vocab.max_year)
        precise_era = any(q.kind == "era" and not q.vague for q in found)
        for q in sorted(found, key=lambda q: (q.kind != "era" or q.vague, q.span)):
            start, stop = q.span
            if q.kind == "era" and q.vague and precise_era:
                consume(tokens, start, stop)
                continue  # "something newer, from the 2000s": the years said outright
            if q.vague and any(a <= start < b for a, b in story):
                continue  # "an old sitcom episode" in the story of a long post: no wish
            consume(tokens, start, stop)
            negated = q.kind == "era" and negated_at(tokens, start)
            allowed = allowed_at(tokens, start) or bool(re.search(
                r"^\W*(are|is|would be|'s)\s+(fine|ok|okay|alright|good)\b", low[stop:stop + 30]))
            if q.kind == "era" and SETTING.search(low[max(0, start - 40):stop + 20]):
                continue  # "set in the 40s", "a 50s setting": the story's time, a wish
            if q.kind == "era" and WHEN_WATCHED.match(q.written.lower()) and not re.search(
                    r"\b(from|released|made|came out|of)\W*$", low[max(0, start - 20):start]):
                continue  # "we watched it last year": when, not which films
            if q.kind == "era":
                eras += 1
                if eras == 2 and not q.vague:
                    notes.append("I can only use one range of years at a time; I used the "
                                 "first one")
                if eras == 1:
                    self._era(q, ledger, update, negated=negated, allowed=allowed)
            elif q.kind == "runtime" and not update.runtime_clear:
                self._runtime(q, update)
            elif q.kind == "rating":
                if q.vague:
                    update.soft.append(SoftPreference(kind="rating", value=f"rated {q.low:g}+",
                                                      low=q.low, weight=0.5,
                                                      written=q.written))
                else:
                    update.min_rating = q.low

    @staticmethod
    def _era(q: Quantity, ledger: Ledger, update: LedgerUpdate, *, negated: bool,
             allowed: bool) -> None:
        start = None if q.low is None else int(q.low)
        end = None if q.high is None else int(q.high)
        if allowed:
            # widen what the ledger has so this span fits in it
            earlier = ledger.year_from
            if earlier is not None and start is not None and earlier.value > start:
                update.year_from = start
            if ledger.year_to is not None and end is not None and ledger.year_to.value < end:
                update.year_to = end
            return
        if negated:
            if start is None and end is not None:  # "nothing before 2000"
                update.year_from = end + 1
            elif end is None and start is not None:  # "nothing after 1990"
                update.year_to = start - 1
            elif end is not None:  # "not from the 80s": newer
                update.year_from = end + 1
            return
        if q.vague:
            update.soft.append(SoftPreference(kind="era", value=era_label(start, end), low=start,
                                              high=end, weight=0.5, written=q.written))
            return
        update.year_from, update.year_to = start, end

    @staticmethod
    def _runtime(q: Quantity, update: LedgerUpdate) -> None:
        if any(v is not None and not 0 < v <= MAX_RUNTIME for v in (q.low, q.high)):
            return  # "under 99999999999999999999 minutes": no film's length, no wish
        if q.vague:
            low = None if q.low is None else int(q.low)
            high = None if q.high is None else int(q.high)
            label = (f"under {high} min" if low is None else f"over {low} min" if high is None
                     else f"{low}-{high} min")
            update.soft.append(SoftPreference(kind="runtime", value=label, low=low, high=high,
                                              weight=0.5, written=q.written))
            return
        if q.low is not None and 20 <= q.low <= 600:
            update.runtime_min = int(q.low)
        if q.high is not None and 20 <= q.high <= 600:
            update.runtime_max = int(q.high)

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



SETTING = re.compile(r"\b(set in|setting|takes? place|taking place|period piece|era of)\b")
WHEN_WATCHED = re.compile(r"(?:last|this|past|next)\s+(?:year|month|week|night)\b")


def _story_spans(text: str) -> list[tuple[int, int]]:
    """The sentences of a long post (3+) that ask for nothing: its story, not its wishes."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"[^.!?]+[.!?]*", text)]
    if len(spans) < 3:
        return []
    return [(a, b) for a, b in spans if not REQUEST_CUE.search(text[a:b].lower())]
