"""What people had said when a film was suggested: the conversational contexts of the
training dialogues, in the spirit of "Conversational Recommendation as Retrieval" (Gupta et
al. 2023), where a film's document is the dialogue text that led to it.

Every training turn (a recommender suggestion, see `turns`) keeps the unit vector of the
seeker's latest words before it and the films it suggested. A request's words then score a
film two ways:

- `votes`: the request's nearest training turns (cosine, the `NEIGHBOURS` closest) each vote
  for the films suggested there, with their similarity: a film that recommenders gave to
  people who asked much the same thing;
- `similarity`: the cosine between the request and the mean of every context the film was
  suggested after: what people usually asked for when it came up.

Built from training dialogues only; the ranker's training features use contexts without the
scored dialogue's fold (`restrict`), like the co-mention counts.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from convrec.tools.ranking.signals import ItemSpace

CONTEXTS_FILE = "contexts.npz"
NEIGHBOURS = 50
SIMILAR = 0.5  # a neighbour this close (cosine) counts as someone asking for much the same


@dataclass(frozen=True)
class ContextScores:
    votes: np.ndarray  # per item: summed similarity of the nearest turns that suggested it
    similarity: np.ndarray  # per item: cosine with the mean of its contexts (0: none)
    hits: np.ndarray  # per item: nearest turns at least SIMILAR that suggested it (evidence)


@dataclass(frozen=True)
class DialogueContexts:
    space: ItemSpace
    conversations: np.ndarray  # per turn: its conversation id (str)
    vectors: np.ndarray  # turns x dim, unit rows (the seeker's words before the suggestion)
    targets: sp.csr_matrix  # turns x items: 1 where the turn suggested the item

    @classmethod
    def build(cls, turns: Sequence[tuple[str, str, Collection[int]]], space: ItemSpace,
              encode: Callable[[list[str]], np.ndarray]) -> DialogueContexts:
        """`turns`: (conversation id, the seeker's words, the suggested item ids); turns
        without words are left out. Each distinct text is encoded once."""
        kept = [t for t in turns if t[1].strip()]
        rows: list[int] = []
        cols: list[int] = []
        for n, (_, _, items) in enumerate(kept):
            positions = space.positions(items).tolist()
            rows.extend([n] * len(positions))
            cols.extend(positions)
        targets = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)),
                                shape=(len(kept), len(space)))
        targets.data[:] = 1.0
        texts = list(dict.fromkeys(t[1] for t in kept))
        encoded = np.asarray(encode(texts or ["x"]), dtype=np.float32)
        row = {text: n for n, text in enumerate(texts)}
        vectors = encoded[[row[t[1]] for t in kept]] if kept else encoded[:0]
        return cls(space, np.asarray([t[0] for t in kept], dtype=object), vectors, targets)

    def encoded(self, turns: Sequence[tuple[str, str, Collection[int]]]
                ) -> dict[str, np.ndarray]:
        """text -> vector for the turns this was built from (the same order, words only)."""
        kept = [t for t in turns if t[1].strip()]
        return {t[1]: v for t, v in zip(kept, self.vectors, strict=True)}

    def restrict(self, conversations: Collection[str]) -> DialogueContexts:
        """Only the turns of the given conversations."""
        keep = np.fromiter((c in conversations for c in self.conversations), dtype=bool,
                           count=len(self.conversations))
        return DialogueContexts(self.space, self.conversations[keep], self.vectors[keep],
                                self.targets[np.where(keep)[0]])

    def _centroids(self) -> np.ndarray:
        cached = self.__dict__.get("_centroid_cache")
        if cached is None:
            sums = np.asarray(self.targets.T @ self.vectors, dtype=np.float32)
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            cached = np.where(norms > 0, sums / np.maximum(norms, 1e-9), 0.0).astype(np.float32)
            object.__setattr__(self, "_centroid_cache", cached)
        return cached

    def scores(self, query: np.ndarray | None) -> ContextScores:
        n = len(self.space)
        if query is None or not len(self.vectors):
            zero = np.zeros(n, dtype=np.float32)
            return ContextScores(zero, zero, zero)
        sims = self.vectors @ query
        k = min(NEIGHBOURS, len(sims))
        nearest = np.argpartition(-sims, k - 1)[:k]
        weights = np.maximum(sims[nearest], 0.0).astype(np.float32)
        near = self.targets[nearest]
        votes = np.asarray(near.T @ weights, dtype=np.float32).ravel()
        close = (sims[nearest] >= SIMILAR).astype(np.float32)
        hits = np.asarray(near.T @ close, dtype=np.float32).ravel()
        return ContextScores(votes, self._centroids() @ query, hits)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / (CONTEXTS_FILE + ".tmp.npz")
        np.savez_compressed(
            tmp, item_ids=self.space.item_ids, conversations=self.conversations.astype(str),
            vectors=self.vectors.astype(np.float16), data=self.targets.data,
            indices=self.targets.indices, indptr=self.targets.indptr)
        tmp.replace(folder / CONTEXTS_FILE)

    @classmethod
    def load(cls, folder: Path) -> DialogueContexts:
        with np.load(folder / CONTEXTS_FILE) as f:
            space = ItemSpace(f["item_ids"])
            vectors = f["vectors"].astype(np.float32)
            targets = sp.csr_matrix((f["data"], f["indices"], f["indptr"]),
                                    shape=(len(vectors), len(space)))
            return cls(space, f["conversations"].astype(object), vectors, targets)
