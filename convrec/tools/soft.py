"""Soft preferences: what a user leans toward or away from, scored, never filtered.

A hard constraint removes films; a soft preference only moves them. The extractor
sets a hard constraint when it is sure (the words are grounded in the catalog with
high confidence and the scope of any negation is certain); everything else ("not a
fan of horror", "not too bloody", a genre it guessed from a misspelling or from
meaning) becomes a `SoftPreference` with a weight.

Each preference is written in its positive form as filter arguments ("films with
the genre Horror"), so whether a film matches it is decided by the same compiled
clauses as the hard filter (`filters.violations`): a film matches when it violates
nothing. The preference's polarity says whether matching is good (+1) or bad (-1).

`soft_preferences` scores a candidate pool: the sum over preferences of polarity x
weight for every preference the film matches. The candidate bus fuses that ranking
with the others, so films that fit the leanings move up and the ones the user is
lukewarm about move down, and none is removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from convrec.tools.base import ScoredItem, ToolOutput
from convrec.tools.context import ToolContext
from convrec.tools.filters import FilterArgs, PersonRef, get_vocab, violations

SoftKind = Literal["genre", "person", "keyword", "era", "runtime", "language", "rating",
                   "studio"]
TOOL = "soft_preferences"
MAX_POOL = 2_000


class SoftPreference(BaseModel):
    """One leaning, grounded in the catalog: a genre, person, keyword, era, length ..."""

    kind: SoftKind = Field(description="What the preference is about.")
    value: str = Field(description="The catalog's name for it: 'Horror', 'Adam Sandler', "
                       "'jump scare', 'French'; for era / runtime / rating a range label.")
    polarity: Literal[1, -1] = Field(default=1, description="+1 leans toward, -1 away.")
    weight: float = Field(default=0.5, gt=0.0, le=1.0,
                          description="How sure and how strong: 1 is as good as stated.")
    low: float | None = Field(default=None, description="era / runtime / rating: lower bound")
    high: float | None = Field(default=None, description="era / runtime: upper bound")
    written: str = Field(default="", description="The user's words it came from.")
    ask: bool = Field(default=False, description="Unsure: the agent asks the user to confirm "
                      "it ('Did you mean musical?'); a yes makes it hard.")

    def key(self) -> str:
        return f"{self.kind}:{self.value}"

    def label(self) -> str:
        lean = "leaning to" if self.polarity > 0 else "rather not"
        return f"{lean} {self.value}"

    def as_filter(self) -> FilterArgs:
        """The films this preference is about, as filter arguments (positive form)."""
        fields: dict[str, object] = {}
        if self.kind == "genre":
            fields["genres_any"] = [self.value]
        elif self.kind == "person":
            fields["people_include"] = [PersonRef(name=self.value, role="any")]
        elif self.kind == "keyword":
            fields["keywords_any"] = [self.value]
        elif self.kind == "studio":
            fields["studios_any"] = [self.value]
        elif self.kind == "language":
            fields["languages"] = [self.value]
        elif self.kind == "era":
            fields["year_from"] = None if self.low is None else int(self.low)
            fields["year_to"] = None if self.high is None else int(self.high)
        elif self.kind == "runtime":
            fields["runtime_min"] = None if self.low is None else int(self.low)
            fields["runtime_max"] = None if self.high is None else int(self.high)
        elif self.kind == "rating":
            fields["min_rating"] = self.low
        return FilterArgs.model_validate(fields)


def era_label(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"{low}-{high}" if low != high else str(low)
    if low is not None:
        return f"from {low}"
    return f"up to {high}"


def matches(prefs: Sequence[SoftPreference], item_ids: Sequence[int], ctx: ToolContext
            ) -> dict[int, list[SoftPreference]]:
    """For each film, the preferences it matches (the same clauses as the hard filter)."""
    found: dict[int, list[SoftPreference]] = {i: [] for i in item_ids}
    if not item_ids:
        return found
    for pref in prefs:
        try:
            broken = violations(item_ids, pref.as_filter(), ctx)
        except Exception:  # a name the catalog no longer knows: the preference is inert
            continue
        for item_id, reasons in broken.items():
            if not reasons:
                found[item_id].append(pref)
    return found


def soft_preferences(prefs: Sequence[SoftPreference], ctx: ToolContext, *,
                     candidates: Sequence[int] | None = None) -> ToolOutput:
    """A ranking of the candidates by how well they fit the soft preferences.

    Every candidate is in the ranking (none is removed); the score is the sum of
    polarity x weight over the preferences a film matches, ties kept in the candidates'
    order. Without candidates, the catalog's most popular films are scored.
    """
    if candidates is None:
        vocab = get_vocab(ctx)
        pool = sorted(vocab.films, key=lambda i: -vocab.films[i].prior)[:MAX_POOL]
    else:
        pool = list(dict.fromkeys(candidates))[:MAX_POOL]
    found = matches(prefs, pool, ctx)
    items: list[ScoredItem] = []
    for position, item_id in enumerate(pool):
        hits = found.get(item_id, [])
        score = sum(p.polarity * p.weight for p in hits)
        evidence = [f"fits your leaning to {p.value}" for p in hits if p.polarity > 0]
        # keep the pool's order among equal scores
        items.append(ScoredItem(item_id=item_id, score=score - position * 1e-9,
                                evidence=evidence))
    moved_up = sum(1 for s in items if s.score > 1e-6)
    moved_down = sum(1 for s in items if s.score < -1e-6)
    labels = ", ".join(p.label() for p in prefs)
    trace = (f"soft preferences ({labels}): {len(pool):,} scored, {moved_up:,} up, "
             f"{moved_down:,} down")
    return ToolOutput(tool=TOOL, items=items, trace=trace)


LEAN = 1.0  # a full-weight leaning moves a film by this many spreads of the ranker's scores


def lean(output: ToolOutput, prefs: Sequence[SoftPreference], ctx: ToolContext) -> ToolOutput:
    """A scored ranking moved by the leanings: each preference a film matches adds
    polarity x weight x LEAN x the spread (standard deviation) of the ranking's scores, so a
    full leaning lifts a film about as far as the ranker's own typical difference between
    films, and sinks a film the user leans away from as far: nothing is removed.

    The learned ranker was trained on conversations without a ledger, so the leanings come
    in after it, on its own scale (a rank fusion would drown them in the ranker's order)."""
    if not prefs or not output.items:
        return output
    scores = np.asarray([s.score for s in output.items], dtype=np.float64)
    spread = float(scores.std()) or 1.0
    found = matches(prefs, [s.item_id for s in output.items], ctx)
    moved = [s.model_copy(update={"score": s.score + spread * LEAN * sum(
        p.polarity * p.weight for p in found.get(s.item_id, []))}) for s in output.items]
    moved.sort(key=lambda s: -s.score)
    shifted = sum(1 for s in output.items if found.get(s.item_id))
    return output.model_copy(update={
        "items": moved,
        "trace": f"{output.trace}; leanings moved {shifted:,} (spread {spread:.2f})"})
