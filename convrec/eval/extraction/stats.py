"""Counting for the extraction benchmark: micro precision / recall / F1 and rate intervals.

Plain counts rather than ranx or scikit-learn: the units are sets of slot values per
utterance, and a gold unit may be satisfied by any of several values ("superhero" by any
of Action, Adventure, Science Fiction, Fantasy), so precision and recall have different
numerators (`correct` predicted values, `found` gold units) and are counted apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

Z95 = 1.959964


@dataclass
class SlotCounts:
    """Micro-averaged counts of one slot over many utterances."""

    predicted: int = 0  # values the extractor produced
    correct: int = 0  # of those, the ones the labels support
    gold: int = 0  # gold units (labels the catalog holds)
    found: int = 0  # of those, the ones some prediction satisfied

    def add(self, predicted: int, correct: int, gold: int, found: int) -> None:
        self.predicted += predicted
        self.correct += correct
        self.gold += gold
        self.found += found

    @property
    def precision(self) -> float | None:
        return self.correct / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.found / self.gold if self.gold else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"precision": _round(self.precision), "recall": _round(self.recall),
                "f1": _round(self.f1), "predicted": self.predicted, "correct": self.correct,
                "gold": self.gold, "found": self.found}


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion k / n (None for n = 0): unlike the normal
    approximation it stays inside [0, 1] and behaves at rates near 0, where a good
    extractor's false-constraint rate lives."""
    if n <= 0:
        return None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)


def rate(k: int, n: int) -> dict[str, Any]:
    """k of n as a rate with its 95% Wilson interval."""
    return {"count": k, "n": n, "rate": _round(k / n if n else None), "ci95": wilson(k, n)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
