"""What the training dialogues say about films: which films human recommenders suggested
after another film had come up (co-mention), and how often they suggest each film.

Co-mention: in every training dialogue, each film a recommender (or an unknown speaker)
mentions counts once for every film mentioned before it, either role; a film the seeker
brings up after another counts half (people name films they liked together). The counts
form a sparse item x item matrix; a conversation's films so far score a candidate by the
counts from each of them (raw, and each row divided by the square root of its total, so
a film that comes up in every conversation does not drown the rest).

Built from training dialogues only (`dialogues.training_dialogues`); the ranker's training
features come from signals built without the dialogue being scored (see `train`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from convrec.tools.ranking.dialogues import TrainingDialogue

SEEKER_WEIGHT = 0.5  # a film the seeker names after another counts this much
SIGNALS_FILE = "signals.npz"


@dataclass(frozen=True)
class ItemSpace:
    """Catalog item ids (ascending) and their row positions in every matrix here."""

    item_ids: np.ndarray

    def positions(self, ids: Iterable[int]) -> np.ndarray:
        """Rows of the given ids; ids outside the space are dropped."""
        ids = np.fromiter(ids, dtype=np.int64)
        if not len(ids):
            return np.zeros(0, dtype=np.int64)
        pos = np.searchsorted(self.item_ids, ids)
        pos = np.minimum(pos, len(self.item_ids) - 1)
        return pos[self.item_ids[pos] == ids]

    def __len__(self) -> int:
        return len(self.item_ids)


@dataclass(frozen=True)
class CoMention:
    """Per-candidate co-mention scores from a context's films (arrays over the item space)."""

    total: np.ndarray  # sum of the counts from every context film
    balanced: np.ndarray  # each context film's counts over sqrt(its row total)
    share: np.ndarray  # the largest share of one context film's suggestions
    latest: np.ndarray  # the counts from the film mentioned last


@dataclass(frozen=True)
class DialogueSignals:
    space: ItemSpace
    pairs: sp.csr_matrix  # pairs[a, b]: how often b was suggested after a came up
    suggested: np.ndarray  # how often recommenders mentioned each film
    dialogues: int

    @classmethod
    def build(cls, dialogues: Iterable[TrainingDialogue], space: ItemSpace
              ) -> DialogueSignals:
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        suggested = np.zeros(len(space), dtype=np.float32)
        count = 0
        for dialogue in dialogues:
            count += 1
            before: list[int] = []
            for message in dialogue.messages:
                positions = space.positions(message.items).tolist()
                by_recommender = message.role != "seeker"
                weight = 1.0 if by_recommender else SEEKER_WEIGHT
                for b in positions:
                    if by_recommender:
                        suggested[b] += 1
                    for a in before:
                        if a != b:
                            rows.append(a)
                            cols.append(b)
                            vals.append(weight)
                    if b not in before:
                        before.append(b)
        pairs = sp.csr_matrix((np.asarray(vals, dtype=np.float32), (rows, cols)),
                              shape=(len(space), len(space)), dtype=np.float32)
        pairs.sum_duplicates()
        return cls(space, pairs, suggested, count)

    def co_mention(self, context: Sequence[int]) -> CoMention:
        """Scores from the context's films (row positions, in mention order)."""
        n = len(self.space)
        if not len(context):
            zero = np.zeros(n, dtype=np.float32)
            return CoMention(zero, zero, zero, zero)
        sub = self.pairs[np.asarray(context)].toarray()
        totals = sub.sum(axis=1, keepdims=True)
        safe = np.maximum(totals, 1e-9)
        return CoMention(
            total=sub.sum(axis=0),
            balanced=(sub / np.sqrt(safe)).sum(axis=0),
            share=(sub / safe).max(axis=0),
            latest=sub[-1],
        )

    def strongest_source(self, context: Sequence[int], candidate: int) -> int | None:
        """The context film (position) after which the candidate was suggested most."""
        if not len(context):
            return None
        column = self.pairs[np.asarray(context), candidate].toarray().ravel()
        best = int(np.argmax(column))
        return int(context[best]) if column[best] > 0 else None

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / (SIGNALS_FILE + ".tmp.npz")
        np.savez_compressed(
            tmp, item_ids=self.space.item_ids, data=self.pairs.data, indices=self.pairs.indices,
            indptr=self.pairs.indptr, suggested=self.suggested,
            dialogues=np.asarray([self.dialogues]))
        tmp.replace(folder / SIGNALS_FILE)

    @classmethod
    def load(cls, folder: Path) -> DialogueSignals:
        with np.load(folder / SIGNALS_FILE) as f:
            space = ItemSpace(f["item_ids"])
            pairs = sp.csr_matrix((f["data"], f["indices"], f["indptr"]),
                                  shape=(len(space), len(space)))
            return cls(space, pairs, f["suggested"], int(f["dialogues"][0]))
