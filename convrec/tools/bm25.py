"""search_bm25: keyword search over the item documents (bm25s, Lucene BM25).

Each item is indexed as the words of its fields (titles, year, genres, plot, keywords,
MovieLens tags, people; see `documents.ItemFields`). Text is lower-cased, accents are
folded ("García" matches "garcia"), English stop words are dropped, and words are stemmed:
with PyStemmer's English Snowball stemmer when PyStemmer is installed, else with a built-in
plural-only S stemmer ("none" is available; the manifest and `Bm25Index.stemmer` say which).
The index is queried with the stemmer it was built with; the build is redone when the
chosen stemmer changes.

Besides the bm25s files, the index keeps one small sparse matrix (items x vocabulary, one
bit per field) so a hit can say cheaply which query words matched in which field:
"matches 'heist' (tag), 'casino' (plot)".

Restricted to a candidate set, the tool scores the whole corpus (a few sparse row sums; well
under a millisecond on 13.5k items) and ranks only the candidates, so the result is exactly
the top-k of the set, never "top-k overall, then intersect". Items that match no query word
are left out: BM25 has nothing to say about them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from pydantic import Field, field_validator

from convrec.errors import ConvrecError
from convrec.tools import indexes
from convrec.tools.base import ScoredItem, ToolArgs, ToolArgumentError, ToolOutput
from convrec.tools.bm25_build import FIELDS, NAME, VERSION
from convrec.tools.bm25_text import Analyzer, load_stemmer, s_stem
from convrec.tools.context import ToolContext

__all__ = ["Bm25Args", "Bm25Hit", "Bm25Index", "load_bm25", "s_stem", "search_bm25"]


# ------------------------------------------------------------------ the loaded index


@dataclass(frozen=True)
class Bm25Hit:
    item_id: int
    score: float
    matched: dict[str, list[str]]  # query word -> fields it matched in (FIELDS order)

    def evidence(self) -> str:
        shown = [f"'{w}' ({', '.join(f)})" for w, f in self.matched.items()]
        return "matches " + ", ".join(shown)


class Bm25Index:
    """A loaded BM25 index: score queries against every item, or only against candidates."""

    def __init__(
        self, folder: Path, retriever: Any, item_ids: np.ndarray, flags: sp.csr_matrix, stemmer: str
    ) -> None:
        self.folder = folder
        self.retriever = retriever
        self.item_ids = item_ids
        self.flags = flags
        self.stemmer = stemmer
        _, stem = load_stemmer(stemmer)  # the one the index was built with, or an error
        self.analyzer = Analyzer(stem)
        self.vocab: dict[str, int] = retriever.vocab_dict

    @classmethod
    def load(cls, folder: Path) -> Bm25Index:
        import bm25s  # deferred: bm25s takes ~2 s to import

        folder = Path(folder)
        manifest = indexes.read_manifest(folder)
        if manifest is None:
            raise ConvrecError(f"no bm25 index at {folder}; build it with `convrec index build`")
        retriever = bm25s.BM25.load(str(folder / "bm25s"), mmap=False, show_progress=False)
        return cls(
            folder,
            retriever,
            np.load(folder / "item_ids.npy"),
            sp.load_npz(folder / "fields.npz").tocsr(),
            manifest.get("stemmer", "none"),
        )

    def __len__(self) -> int:
        return len(self.item_ids)

    def query_terms(self, text: str) -> tuple[list[int], dict[int, str]]:
        """Token ids of the query words found in the index (repeats kept: a word typed twice
        weighs twice) and, per token, the first word that produced it."""
        tokens: list[int] = []
        words: dict[int, str] = {}
        for word, term in self.analyzer.terms(text):
            tid = self.vocab.get(term)
            if tid is not None:
                tokens.append(tid)
                words.setdefault(tid, word)
        return tokens, words

    def scores(self, tokens: list[int]) -> np.ndarray:
        """BM25 score of every item (index order) for the given query tokens."""
        if not tokens:
            return np.zeros(len(self.item_ids), dtype=np.float32)
        return np.asarray(self.retriever.get_scores_from_ids(tokens), dtype=np.float32)

    def positions(self, item_ids: Iterable[int]) -> np.ndarray:
        """Index rows of the given item ids (ids not in the index are dropped)."""
        ids = np.fromiter((int(i) for i in item_ids), dtype=np.int64)
        pos = np.searchsorted(self.item_ids, ids)
        pos = np.minimum(pos, len(self.item_ids) - 1)
        return np.unique(pos[self.item_ids[pos] == ids])

    def search(
        self,
        text: str,
        k: int,
        *,
        candidates: Collection[int] | None = None,
        exclude: Collection[int] = (),
        evidence: bool = True,
    ) -> list[Bm25Hit]:
        """The k best items with a positive score, best first (ties: lower item id first).

        With `candidates`, only those items are ranked (exactly); `exclude` removes items.
        """
        tokens, words = self.query_terms(text)
        if not tokens:
            return []
        scores = self.scores(tokens)
        rows = self.positions(candidates) if candidates is not None else np.arange(len(scores))
        rows = rows[scores[rows] > 0]
        if exclude:
            rows = np.setdiff1d(rows, self.positions(exclude), assume_unique=True)
        top = _top_rows(scores, rows, k)
        matched = self._matched(top, list(words), words) if evidence else [{} for _ in top]
        return [
            Bm25Hit(int(self.item_ids[r]), float(scores[r]), m)
            for r, m in zip(top, matched, strict=True)
        ]

    def _matched(
        self, rows: np.ndarray, tokens: list[int], words: dict[int, str]
    ) -> list[dict[str, list[str]]]:
        if len(rows) == 0:
            return []
        cells = self.flags[rows][:, tokens].toarray()
        out = []
        for line in cells:
            found: dict[str, list[str]] = {}
            for tid, bits in zip(tokens, line, strict=True):
                if bits:
                    found[words[tid]] = [f for i, f in enumerate(FIELDS) if bits & (1 << i)]
            out.append(found)
        return out


def _top_rows(scores: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """The k rows with the highest scores, best first; ties broken by row (= item id)."""
    if len(rows) > k:
        kth = np.partition(scores[rows], len(rows) - k)[len(rows) - k]
        rows = rows[scores[rows] >= kth]  # keeps every row tied at the cut
    order = np.lexsort((rows, -scores[rows]))
    return rows[order][:k]


# ------------------------------------------------------------------ the tool


class Bm25Args(ToolArgs):
    """Keyword search over titles, plots, keywords, tags, genres and people."""

    query: str = Field(
        min_length=1,
        description="Words to look for, e.g. 'heist crew robs a casino' or 'Tom Hanks war'.",
    )
    k: int = Field(default=100, ge=1, le=1000, description="How many items to return.")

    @field_validator("query", mode="before")
    @classmethod
    def _not_blank(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ToolArgumentError("search_bm25: the query is empty; give some words to search")
        return value


def load_bm25(ctx: ToolContext) -> Bm25Index:
    """The process-wide BM25 index (loaded once; refuses an index of another catalog)."""

    def loader() -> Bm25Index:
        folder = ctx.index_dir / NAME
        indexes.refuse_stale(folder, ctx.catalog, VERSION, "bm25 index", "built from",
                             "rebuild it with `convrec index build`")
        return Bm25Index.load(folder)

    return ctx.resources.get(NAME, loader)


def search_bm25(
    args: Bm25Args, ctx: ToolContext, *, candidates: Collection[int] | None = None
) -> ToolOutput:
    """Keyword (BM25) search; with `candidates`, rank exactly those items and no others."""
    index = load_bm25(ctx)
    hits = index.search(args.query, args.k, candidates=candidates)
    notes = []
    if not hits and not index.query_terms(args.query)[0]:
        notes.append(f"no word of {args.query!r} is in the index (stop words are ignored)")
    if candidates is None:
        trace = f"bm25: top {len(hits)}"
    else:
        trace = f"bm25: {len(candidates):,} -> {len(hits):,}"
    return ToolOutput(
        tool="search_bm25",
        items=[
            ScoredItem(item_id=h.item_id, score=round(h.score, 4), evidence=[h.evidence()])
            for h in hits
        ],
        trace=trace,
        notes=notes,
    )
