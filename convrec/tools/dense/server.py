"""The dense index's collection on a Chroma server (`chroma run`, CONVREC_CHROMA_URL).

With a server, every replica still keeps the index folder (item ids, the vector matrix for
exact re-scoring and MMR, the ONNX query encoder: per host, like the other indexes); the
whole-catalog nearest-neighbour search goes to one collection on the server instead of an
embedded chroma folder per host. Our own embeddings are always passed (no embedding
function: the server never loads a model) and telemetry is off.

Naming: one collection per index build, `convrec-dense-<20 hex>`, a hash of what the build
is (the catalog fingerprint, the index format, the item count and a SHA-256 of the item ids
and vectors), with the same fields in the collection's metadata. Several catalogs and builds
(a rolling update, a staging catalog) live side by side on one server; a replica opens only
the collection of its own folder's vectors and checks its metadata and size, so a missing,
half-written, stale or foreign collection is a one-line error naming `convrec index build`,
never wrong films. `populate` writes a new collection under a temporary name and renames
it when complete, so a replica never sees it half written (the part a killed build left is
removed by the next); an existing complete collection is left alone (idempotent).

Faults: the server going away is not an error of the turn. `ServerCollection.query` raises
`ChromaUnavailable` (connection refused, timeout after `TIMEOUT_S`, a server error) and
then fails fast for `RETRY_AFTER_S` before trying again, so a down server costs no turn more
than one timeout; the caller (`DenseIndex.search_noted`) answers from the local matrix
instead (exact search, the same films) and says so in the trace. When the server is back the
collection is reopened and checked, with no rebuild.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from convrec.errors import ConvrecError
from convrec.progress import Progress

log = logging.getLogger("convrec.tools.dense")

PREFIX = "convrec-dense-"
TIMEOUT_S = 10.0  # one query to the server (httpx's default in chromadb is no timeout)
WRITE_TIMEOUT_S = 300.0  # one batch of the build, indexed as it is added
WRITE_BATCH = 4096  # as the folder build writes its embedded chroma (the same graph)
RETRY_AFTER_S = 5.0  # after a failure, calls fail fast this long before trying again
HNSW = {"space": "cosine", "ef_construction": 200, "ef_search": 200, "max_neighbors": 32}


class ChromaUnavailable(ConvrecError):
    """The Chroma server cannot be reached now (down, refusing, timing out, failing)."""


# ------------------------------------------------------------------ identity and client


def vectors_digest(folder: Path) -> str:
    """SHA-256 of the index's item ids and vectors (the files as written by the build)."""
    digest = hashlib.sha256()
    for name in ("item_ids.npy", "vectors.npy"):
        with (Path(folder) / name).open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def identity(folder: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """What a server collection must match to serve the index in `folder`."""
    return {
        "convrec": "dense",
        "catalog": str(manifest.get("catalog")),
        "version": int(manifest.get("version") or 0),
        "items": int(manifest.get("items") or 0),
        "vectors_sha256": str(manifest.get("vectors_sha256") or vectors_digest(folder)),
    }


def collection_name(ident: dict[str, Any]) -> str:
    key = json.dumps(ident, sort_keys=True).encode()
    return PREFIX + hashlib.sha256(key).hexdigest()[:20]


def http_client(url: str, timeout: float = TIMEOUT_S) -> Any:
    """A chromadb HttpClient on `url` (telemetry off, requests time out after `timeout` s)."""
    import chromadb  # deferred: chromadb takes ~3 s to import
    from chromadb.config import Settings  # deferred: chromadb takes ~3 s to import

    parts = urlsplit(url)
    try:
        client = chromadb.HttpClient(
            host=parts.hostname or "127.0.0.1", port=int(parts.port or 8000),
            ssl=parts.scheme == "https",
            settings=Settings(anonymized_telemetry=False, allow_reset=False),
        )
    except Exception as exc:  # chromadb says "Could not connect to a Chroma server" (ValueError)
        raise ChromaUnavailable(f"the Chroma server at {url} is unreachable ({_reason(exc)})"
                                ) from None
    session = getattr(getattr(client, "_server", None), "_session", None)
    if session is not None:
        import httpx  # deferred: httpx takes ~0.5 s to import

        session.timeout = httpx.Timeout(timeout)
    return client


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:160]


def _unavailable(url: str, exc: BaseException) -> ChromaUnavailable:
    return ChromaUnavailable(f"the Chroma server at {url} is unreachable ({_reason(exc)})")


def _is_not_found(exc: BaseException) -> bool:
    return type(exc).__name__ == "NotFoundError"


# ------------------------------------------------------------------ populate (the build)


def populate(url: str, folder: Path, manifest: dict[str, Any], *, force: bool = False,
             progress: Progress | None = None) -> dict[str, Any]:
    """Put the index in `folder` into its collection on the server at `url` (skipped when a
    complete one is there, unless `force`). Returns a summary: collection, server, built."""
    report = progress or (lambda _d, _n, _t: None)
    client = http_client(url, WRITE_TIMEOUT_S)
    ident = identity(folder, manifest)
    name = collection_name(ident)
    summary = {"server": url, "collection": name}
    try:
        existing = _get(client, name)
        if existing is not None and not force and _mismatch(existing, ident) is None:
            return {**summary, "server_built": False}
        for left in client.list_collections():  # parts of this build a killed run left
            if left.name.startswith(f"{name}-part-"):
                _drop(client, left.name)
        item_ids = np.load(Path(folder) / "item_ids.npy")
        vectors = np.load(Path(folder) / "vectors.npy", mmap_mode="r")
        part = f"{name}-part-{uuid.uuid4().hex[:8]}"
        collection = client.create_collection(part, embedding_function=None,
                                              configuration={"hnsw": HNSW}, metadata=ident)
        ids = [str(int(i)) for i in item_ids]
        batch = max(1, min(int(client.get_max_batch_size()), WRITE_BATCH))
        try:
            for start in range(0, len(ids), batch):
                collection.add(ids=ids[start:start + batch],
                               embeddings=np.asarray(vectors[start:start + batch]))
                report("dense: writing the Chroma server", min(start + batch, len(ids)), len(ids))
            if existing is not None:
                client.delete_collection(name)
            collection.modify(name=name)
        except BaseException:
            _drop(client, part)
            raise
    except ConvrecError:
        raise
    except Exception as exc:
        if _is_not_found(exc) or type(exc).__module__.startswith("chromadb"):
            raise ConvrecError(f"the Chroma server at {url} refused the dense index: "
                               f"{_reason(exc)}") from None
        raise _unavailable(url, exc) from None
    return {**summary, "server_built": True}


def _get(client: Any, name: str) -> Any:
    try:
        return client.get_collection(name, embedding_function=None)
    except Exception as exc:
        if _is_not_found(exc):
            return None
        raise


def _drop(client: Any, name: str) -> None:
    try:
        client.delete_collection(name)
    except Exception as exc:  # the server went away too: the part stays, unnamed, harmless
        log.warning("dense: could not remove the partial collection %s (%s)", name, _reason(exc))


def _mismatch(collection: Any, ident: dict[str, Any]) -> str | None:
    """Why `collection` does not serve the index `ident` describes (None: it does)."""
    meta = dict(collection.metadata or {})
    for key, want in ident.items():
        if meta.get(key) != want:
            return f"its {key} is {meta.get(key)!r}, the index's is {want!r}"
    count = int(collection.count())
    if count != ident["items"]:
        return f"it holds {count} of {ident['items']} items"
    return None


# ------------------------------------------------------------------ the replica's side


class ServerCollection:
    """The collection of one index folder on the server, opened and checked on first use and
    again after the server was unreachable (thread-safe)."""

    def __init__(self, url: str, folder: Path, manifest: dict[str, Any]) -> None:
        self.url = url
        self.folder = Path(folder)
        self.manifest = manifest
        self._ident: dict[str, Any] | None = None
        self._client: Any = None
        self._collection: Any = None
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        if self._ident is None:
            self._ident = identity(self.folder, self.manifest)
        return collection_name(self._ident)

    def open(self) -> Any:
        """The checked collection. Raises ChromaUnavailable (try later) or ConvrecError (the
        server holds no collection for this index, or one that does not match it)."""
        with self._lock:
            if self._collection is not None:
                return self._collection
            if time.monotonic() < self._down_until:
                raise ChromaUnavailable(f"the Chroma server at {self.url} is unreachable "
                                        "(retrying in a few seconds)")
            try:
                self._collection = self._open()
            except ChromaUnavailable:
                self._client = None
                self._down_until = time.monotonic() + RETRY_AFTER_S
                raise
            return self._collection

    def _open(self) -> Any:
        name = self.name
        assert self._ident is not None
        try:
            if self._client is None:
                self._client = http_client(self.url)
            collection = _get(self._client, name)
            why = None if collection is None else _mismatch(collection, self._ident)
        except ConvrecError:
            raise
        except Exception as exc:
            raise _unavailable(self.url, exc) from None
        fix = "populate it with `convrec index build` (CONVREC_CHROMA_URL set)"
        if collection is None:
            others = self._other_collections()
            held = f"; it holds {others} of other catalogs or builds" if others else ""
            raise ConvrecError(f"the Chroma server at {self.url} has no dense collection for "
                               f"the index at {self.folder} ({name}{held}); {fix}")
        if why is not None:
            raise ConvrecError(f"the dense collection {name} on the Chroma server at "
                               f"{self.url} does not match the index at {self.folder} (stale "
                               f"or foreign: {why}); {fix}")
        return collection

    def _other_collections(self) -> int:
        try:
            return sum(c.name.startswith(PREFIX) for c in self._client.list_collections())
        except Exception:
            return 0

    def query(self, vector: np.ndarray, n: int) -> dict[str, Any]:
        """chroma's query result for one vector (ids and distances)."""
        collection = self.open()
        try:
            return dict(collection.query(query_embeddings=[vector], n_results=n,
                                         include=["distances"]))
        except Exception as exc:
            with self._lock:  # reopen and check it next time
                self._collection = None
                if not _is_not_found(exc):
                    self._client = None
                    self._down_until = time.monotonic() + RETRY_AFTER_S
            if not _is_not_found(exc):
                raise _unavailable(self.url, exc) from None
        # Deleted under us: reopening says what to run, or finds a new complete one.
        try:
            return dict(self.open().query(query_embeddings=[vector], n_results=n,
                                          include=["distances"]))
        except ConvrecError:
            raise
        except Exception as exc:
            raise _unavailable(self.url, exc) from None
