"""The loaded dense index: item ids, the vector matrix, the chroma collection and the query
encoder, each loaded on first use; whole-catalog search (chroma) and exact re-scoring of a
candidate set (the matrix)."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from convrec.errors import ConvrecError
from convrec.tools import indexes
from convrec.tools.dense.encoders import (
    DEFAULT_TORCH_THREADS,
    DIM,
    ENCODE_BATCH,
    QueryEncoder,
    encode_texts,
    load_model,
)
from convrec.tools.dense.onnx_encoder import (
    DEFAULT_ONNX_THREADS,
    OnnxQueryEncoder,
    load_onnx_encoder,
)
from convrec.tools.dense.server import ChromaUnavailable, ServerCollection

log = logging.getLogger("convrec.tools.dense")

NAME = "dense"
VERSION = 1
COLLECTION = "items"
QUERY_CACHE_SIZE = 256
QUERY_BATCH_MAX = 8  # up to this many texts go through the query encoder, more through torch
OVERFETCH = 50  # chroma is asked for at least k + this many, re-scored exactly (_search_chroma)


def chroma_client(path: Path) -> Any:
    """An embedded persistent chroma client with telemetry off."""
    import chromadb  # deferred: chromadb takes ~3 s to import
    from chromadb.config import Settings  # deferred: chromadb takes ~3 s to import

    return chromadb.PersistentClient(
        path=str(path), settings=Settings(anonymized_telemetry=False, allow_reset=False)
    )



class DenseIndex:
    """A loaded dense index. The id list is read at once; the matrix, the chroma collection
    and the model are loaded on first use (thread-safe).

    `chroma_url`: the collection is on that Chroma server (`server.ServerCollection`) instead
    of the embedded folder; while the server is unreachable, whole-catalog searches are
    answered exactly from the local matrix (`search_noted` says so)."""

    def __init__(
        self,
        folder: Path,
        manifest: dict[str, Any],
        *,
        torch_threads: int = DEFAULT_TORCH_THREADS,
        onnx_threads: int = DEFAULT_ONNX_THREADS,
        chroma_url: str | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.manifest = manifest
        self.chroma_url = chroma_url
        self.server = None if chroma_url is None else ServerCollection(chroma_url, folder,
                                                                       manifest)
        self._warned_at = 0.0
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
        chroma_url: str | None = None,
    ) -> DenseIndex:
        folder = Path(folder)
        manifest = indexes.read_manifest(folder)
        if manifest is None:
            raise ConvrecError(f"no dense index at {folder}; build it with `convrec index build`")
        index = cls(folder, manifest, torch_threads=torch_threads, onnx_threads=onnx_threads,
                    chroma_url=chroma_url)
        index.check_shapes()
        return index

    def check_shapes(self) -> None:
        """The ids and the matrix must be the index's own: one id per item the manifest
        counts, one row of DIM per id (a foreign .npy of another shape is refused here)."""
        items = int(self.manifest.get("items", len(self.item_ids)))
        vectors = np.load(self.folder / "vectors.npy", mmap_mode="r")  # the header only
        ids_ok = (self.item_ids.ndim == 1 and self.item_ids.dtype.kind in "iu"
                  and len(self.item_ids) == items)
        if not ids_ok or vectors.shape != (items, DIM):
            raise indexes.IndexFileError(
                f"the dense index files under {self.folder} are not this index's (item_ids "
                f"{self.item_ids.shape}, vectors {vectors.shape}, {items} items expected); "
                f"{indexes.rebuild_hint(NAME)}")

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
        if self.server is not None:
            return self.server.open()
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
        _ = self.matrix, self.query_encoder
        try:
            _ = self.collection
        except ChromaUnavailable as exc:  # searches answer from the matrix until it is back
            log.warning("dense: %s; searching the local vectors until it answers", exc)
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
        return encode_texts(self.model, texts, batch_size)

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

        Without candidates chroma finds them (HNSW, whole catalog; re-scored exactly, see
        `_search_chroma`); with candidates the survivors are scored exactly with the matrix
        (ties: lower item id first).
        """
        return self.search_noted(vector, k, candidates=candidates, exclude=exclude)[0]

    def search_noted(
        self,
        vector: np.ndarray,
        k: int,
        *,
        candidates: Collection[int] | None = None,
        exclude: Collection[int] = (),
    ) -> tuple[list[tuple[int, float]], str | None]:
        """`search`, and a note for the trace when the Chroma server was unreachable and
        the whole catalog was searched exactly in the local matrix instead."""
        vector = np.asarray(vector, dtype=np.float32).reshape(-1)
        banned = {int(i) for i in exclude}
        if candidates is None:
            try:
                return self._search_chroma(vector, k, banned), None
            except ChromaUnavailable as exc:
                self._warn(exc)
                return (self._search_rows(vector, k, banned, np.arange(len(self.item_ids))),
                        f"{exc}: searched the local vectors instead")
        pos, found = self.positions(candidates)
        return self._search_rows(vector, k, banned, np.unique(pos[found])), None

    def _search_rows(
        self, vector: np.ndarray, k: int, banned: set[int], rows: np.ndarray
    ) -> list[tuple[int, float]]:
        """Exact scores of the given matrix rows, less the banned ids, best k first."""
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

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._warned_at > 60:  # once a minute, not once a query
            self._warned_at = now
            log.warning("dense: %s; searching the local vectors until it answers", exc)

    def _search_chroma(
        self, vector: np.ndarray, k: int, banned: set[int]
    ) -> list[tuple[int, float]]:
        """Chroma's nearest neighbours (HNSW, approximate).

        The embedded folder answers as it always has: its top k (more by the banned ones),
        with chroma's own distances. A server is asked for more (2k, at least k +
        OVERFETCH), re-scored exactly with the local matrix: two graphs of the same vectors
        (the folder's, the server's) miss different neighbours now and then, and this keeps
        a replica on the server close to the exact top k."""
        if self.server is None:
            return _embedded_search(self.collection, vector, k, banned, len(self.item_ids))
        n = min(max(2 * k, k + OVERFETCH) + len(banned), len(self.item_ids))
        if n <= 0:
            return []
        result = self.server.query(vector, n)
        pos, found = self.positions(int(sid) for sid in result["ids"][0])
        return self._search_rows(vector, k, banned, np.unique(pos[found]))


def _embedded_search(
    collection: Any, vector: np.ndarray, k: int, banned: set[int], items: int
) -> list[tuple[int, float]]:
    """The embedded chroma folder's top k less the banned ids, with chroma's own distances
    turned into cosine similarities (ties: lower item id first)."""
    n = min(k + len(banned), items)
    if n <= 0:
        return []
    result = collection.query(query_embeddings=[vector], n_results=n, include=["distances"])
    hits = []
    for sid, distance in zip(result["ids"][0], result["distances"][0], strict=True):
        item_id = int(sid)
        if item_id not in banned:
            hits.append((item_id, 1.0 - float(distance)))  # cosine distance -> similarity
    hits.sort(key=lambda h: (-h[1], h[0]))
    return hits[:k]
