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

import re
import shutil
import time
import unicodedata
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from pydantic import Field, field_validator

from convrec.catalog.db import Catalog
from convrec.errors import ConvrecError
from convrec.tools import indexes
from convrec.tools.base import ScoredItem, ToolArgs, ToolArgumentError, ToolOutput
from convrec.tools.context import ToolContext
from convrec.tools.documents import item_fields

NAME = "bm25"
VERSION = 1
# Lucene BM25 parameters. b is well below the usual 0.75: 2,500 ReDial-only items are a
# bare title, and full length normalisation lets a one-word title match outrank a film whose
# plot, keywords and tags all match. Chosen on the ReDial *train* split (4,400 turns, protocol
# of convrec.eval.bench_retrieval, S stemmer): Recall@10/@50 was 0.0143/0.0405 at
# (k1=1.2, b=0.75), 0.0174/0.0433 at b=0.5, 0.0181/0.0482 at b=0.3, 0.0186/0.0489 at b=0.2.
K1 = 1.2
B = 0.3
FIELDS = ("title", "people", "keyword", "tag", "genre", "plot", "year")  # evidence order
_TOKEN = re.compile(r"(?u)\b\w\w+\b")

Progress = Callable[[str, int, int], None]


# ------------------------------------------------------------------ text analysis


STEMMERS = ("auto", "pystemmer", "s-stemmer", "none")


def s_stem(word: str) -> str:
    """Harman's "S" stemmer (1991): folds English plurals and third-person -s only
    ("casinos" -> "casino", "robs" -> "rob", "stories" -> "story"), nothing else."""
    if len(word) > 3 and word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if len(word) > 2 and word.endswith("s") and not word.endswith(("us", "ss")):
        return word[:-1]
    return word


def _load_stemmer(choice: str = "auto") -> tuple[str, Callable[[str], str] | None]:
    """(name, stem function) for a stemmer choice.

    "auto" takes PyStemmer's English Snowball stemmer when PyStemmer is installed and
    otherwise the built-in S stemmer. Without any stemming, "heist crew robs a casino"
    misses every overview that says "casinos" or "robbed": Ocean's Eleven fell from rank 4
    to rank 38 on the real catalog.
    """
    if choice not in STEMMERS:
        raise ConvrecError(f"unknown stemmer {choice!r}; choose one of {', '.join(STEMMERS)}")
    if choice in ("auto", "pystemmer"):
        try:
            import Stemmer  # PyStemmer, optional
        except ImportError:
            if choice == "pystemmer":
                raise ConvrecError(
                    "the stemmer 'pystemmer' needs PyStemmer: `pip install PyStemmer`"
                ) from None
        else:
            return "pystemmer", Stemmer.Stemmer("english").stemWord
    if choice == "none":
        return "none", None
    return "s-stemmer", s_stem


class Analyzer:
    """Text -> index terms, the same way for documents and queries."""

    def __init__(self, stemmer: Callable[[str], str] | None) -> None:
        from bm25s.stopwords import STOPWORDS_EN

        self._stem = stemmer
        self._stopwords = frozenset(STOPWORDS_EN)
        self._cache: dict[str, str | None] = {}

    def words(self, text: str) -> list[str]:
        """The words of `text` as a person typed them (lower-cased, accents folded)."""
        folded = unicodedata.normalize("NFKD", text.lower())
        folded = "".join(c for c in folded if not unicodedata.combining(c))
        return _TOKEN.findall(folded)

    def term(self, word: str) -> str | None:
        """The index term of one word, or None for a stop word."""
        if word not in self._cache:
            if len(self._cache) > 200_000:  # a long-running server sees many odd words
                self._cache.clear()
            if word in self._stopwords:
                self._cache[word] = None
            else:
                self._cache[word] = self._stem(word) if self._stem else word
        return self._cache[word]

    def terms(self, text: str) -> list[tuple[str, str]]:
        """(word, term) pairs of `text`, stop words dropped."""
        pairs = []
        for word in self.words(text):
            term = self.term(word)
            if term:
                pairs.append((word, term))
        return pairs


# ------------------------------------------------------------------ build


def build_bm25_index(
    catalog: Catalog,
    index_dir: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
    stemmer: str = "auto",
) -> dict[str, Any]:
    """Build the BM25 index under index_dir/"bm25" unless it is current (same catalog,
    format and stemmer).

    Returns a summary: built (False when the index was already current), items, vocabulary,
    stemmer, seconds, bytes.
    """
    folder = Path(index_dir) / NAME
    stemmer_name, stem = _load_stemmer(stemmer)
    manifest = indexes.read_manifest(folder)
    if (
        not force
        and indexes.is_current(folder, catalog, VERSION)
        and manifest is not None
        and manifest.get("stemmer") == stemmer_name
    ):
        return {"index": NAME, "built": False, "folder": str(folder), **_summary(manifest)}

    import bm25s

    started = time.perf_counter()
    report = progress or (lambda _d, _n, _t: None)
    (folder / indexes.MANIFEST).unlink(missing_ok=True)  # an interrupted build is not current
    report("bm25: reading the catalog", 0, 1)
    fields = item_fields(catalog)
    item_ids = np.fromiter(fields, dtype=np.int64, count=len(fields))  # ascending
    analyzer = Analyzer(stem)

    vocab: dict[str, int] = {}
    corpus: list[list[int]] = []
    rows: list[int] = []
    cols: list[int] = []
    bits: list[int] = []
    total = len(fields)
    for row, item in enumerate(fields.values()):
        doc: list[int] = []
        field_bits: dict[int, int] = {}
        for name, text in item.field_texts().items():
            bit = 1 << FIELDS.index(name)
            for _, term in analyzer.terms(text):
                tid = vocab.setdefault(term, len(vocab))
                doc.append(tid)
                field_bits[tid] = field_bits.get(tid, 0) | bit
        corpus.append(doc)
        rows.extend([row] * len(field_bits))
        cols.extend(field_bits)
        bits.extend(field_bits.values())
        if row % 1000 == 0:
            report("bm25: tokenizing", row, total)
    report("bm25: tokenizing", total, total)

    report("bm25: indexing", 0, 1)
    retriever = bm25s.BM25(method="lucene", k1=K1, b=B, backend="numpy")
    retriever.index((corpus, vocab), show_progress=False)
    flags = sp.csr_matrix(
        (np.asarray(bits, dtype=np.uint8), (np.asarray(rows), np.asarray(cols))),
        shape=(len(corpus), len(retriever.vocab_dict)),
    )
    report("bm25: saving", 0, 1)
    if (folder / "bm25s").exists():
        shutil.rmtree(folder / "bm25s")
    folder.mkdir(parents=True, exist_ok=True)
    retriever.save(str(folder / "bm25s"), show_progress=False)
    np.save(folder / "item_ids.npy", item_ids)
    sp.save_npz(folder / "fields.npz", flags)
    seconds = time.perf_counter() - started
    summary = {
        "items": len(corpus),
        "vocabulary": len(vocab),
        "stemmer": stemmer_name,
        "k1": K1,
        "b": B,
        "fields": list(FIELDS),
        "bytes": _folder_bytes(folder),
    }
    indexes.write_manifest(folder, catalog, VERSION, seconds, **summary)
    report("bm25: done", 1, 1)
    return {
        "index": NAME,
        "built": True,
        "folder": str(folder),
        "seconds": round(seconds, 2),
        **summary,
    }


def _summary(manifest: dict[str, Any]) -> dict[str, Any]:
    keys = ("items", "vocabulary", "stemmer", "bytes", "build_seconds")
    return {k: manifest.get(k) for k in keys}


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


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
        _, stem = _load_stemmer(stemmer)  # the one the index was built with, or an error
        self.analyzer = Analyzer(stem)
        self.vocab: dict[str, int] = retriever.vocab_dict

    @classmethod
    def load(cls, folder: Path) -> Bm25Index:
        import bm25s

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
        if indexes.read_manifest(folder) is not None and not indexes.is_current(
            folder, ctx.catalog, VERSION
        ):
            raise ConvrecError(
                f"the bm25 index at {folder} was built from another catalog or format; "
                "rebuild it with `convrec index build`"
            )
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
