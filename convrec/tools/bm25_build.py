"""Building the search_bm25 index (bm25s files plus the field bits of each term).

See `convrec.tools.bm25` for what is indexed and how it is searched.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from convrec.catalog.db import Catalog
from convrec.progress import Progress
from convrec.tools import indexes
from convrec.tools.bm25_text import Analyzer, load_stemmer
from convrec.tools.documents import ItemFields, item_fields

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
    stemmer_name, stem = load_stemmer(stemmer)
    manifest = indexes.read_manifest(folder)
    if (
        not force
        and indexes.is_current(folder, catalog, VERSION)
        and manifest is not None
        and manifest.get("stemmer") == stemmer_name
    ):
        return {"index": NAME, "built": False, "folder": str(folder), **_summary(manifest)}

    import bm25s  # deferred: bm25s takes ~2 s to import

    started = time.perf_counter()
    report = progress or (lambda _d, _n, _t: None)
    (folder / indexes.MANIFEST).unlink(missing_ok=True)  # an interrupted build is not current
    report("bm25: reading the catalog", 0, 1)
    fields = item_fields(catalog)
    item_ids = np.fromiter(fields, dtype=np.int64, count=len(fields))  # ascending
    analyzer = Analyzer(stem)

    corpus, vocab, flags = tokenize(fields, analyzer, report)

    report("bm25: indexing", 0, 1)
    retriever = bm25s.BM25(method="lucene", k1=K1, b=B, backend="numpy")
    retriever.index((corpus, vocab), show_progress=False)
    flags.resize((len(corpus), len(retriever.vocab_dict)))  # bm25s's vocabulary size
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



def tokenize(
    fields: Mapping[int, ItemFields], analyzer: Analyzer, report: Progress
) -> tuple[list[list[int]], dict[str, int], sp.csr_matrix]:
    """Each item's document as term ids, the vocabulary (term -> id), and the items x terms
    matrix of field bits (bit i: the term occurs in FIELDS[i])."""
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
    flags = sp.csr_matrix(
        (np.asarray(bits, dtype=np.uint8), (np.asarray(rows), np.asarray(cols))),
        shape=(len(corpus), len(vocab)),
    )
    return corpus, vocab, flags


def _summary(manifest: dict[str, Any]) -> dict[str, Any]:
    keys = ("items", "vocabulary", "stemmer", "bytes", "build_seconds")
    return {k: manifest.get(k) for k in keys}


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())

