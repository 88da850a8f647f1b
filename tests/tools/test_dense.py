"""search_dense on the synthetic catalog with the real embedded model and a real chroma store.

The module's index is built with every socket connection refused, so the build, chroma and
the model are shown to work offline. The real-catalog checks (Ocean's Eleven, "like The
Matrix") live in tests/eval/test_bench_retrieval.py, which builds the real indexes once.
"""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from convrec.catalog.db import Catalog
from convrec.errors import ConvrecError
from convrec.tools import dense as dense_mod
from convrec.tools.base import ToolArgumentError
from convrec.tools.context import Resources, ToolContext
from convrec.tools.dense import (
    DIM,
    DenseArgs,
    DenseIndex,
    build_dense_index,
    chroma_client,
    search_dense,
)
from tests.fresh_process import run_fresh

HAPPY_GILMORE = 104
MATRIX = 2571
BLADE_RUNNER = 541


class NetworkAttempts:
    """Refuse and record every attempt to open a network connection (unix sockets pass)."""

    def __init__(self, mp: pytest.MonkeyPatch) -> None:
        self.attempts: list[Any] = []
        real_connect = socket.socket.connect

        def connect(sock: socket.socket, address: Any) -> Any:
            if sock.family == getattr(socket, "AF_UNIX", None):
                return real_connect(sock, address)
            return self._refuse(address)

        mp.setattr(socket.socket, "connect", connect)
        mp.setattr(socket.socket, "connect_ex", lambda sock, address: self._refuse(address))
        mp.setattr(socket, "create_connection", lambda address, *a, **k: self._refuse(address))
        mp.setattr(socket, "getaddrinfo", lambda host, *a, **k: self._refuse(host))

    def _refuse(self, address: Any) -> Any:
        self.attempts.append(address)
        raise OSError(f"network disabled in this test (tried {address!r})")


@pytest.fixture(scope="module")
def offline():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        guard = NetworkAttempts(mp)
        yield guard


@pytest.fixture(scope="module")
def built(synthetic_catalog, tmp_path_factory, offline) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("dense-index")
    return folder, build_dense_index(synthetic_catalog, folder)


@pytest.fixture
def ctx(synthetic_catalog, built, offline) -> ToolContext:
    return ToolContext(Resources(synthetic_catalog, built[0]))


def changed_catalog(path: Path, tmp_path: Path) -> Catalog:
    copy = tmp_path / "changed.sqlite"
    shutil.copy(path, copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("UPDATE meta SET value = value || '-changed' WHERE key = 'source_fingerprint'")
    return Catalog(copy)


def all_item_ids(catalog: Catalog) -> list[int]:
    return [r[0] for r in catalog.query("SELECT item_id FROM items ORDER BY item_id")]


# ----------------------------------------------------------------------- build and storage


def test_build_writes_chroma_and_the_matrix_offline(built, synthetic_catalog, offline):
    folder, report = built
    n = len(all_item_ids(synthetic_catalog))
    assert report["built"] is True and report["items"] == n and report["dim"] == DIM
    dense = folder / "dense"
    chroma_dir = dense / report["chroma_dir"]
    assert (chroma_dir / "chroma.sqlite3").is_file()
    assert np.load(dense / "vectors.npy").shape == (n, DIM)
    assert np.load(dense / "item_ids.npy").tolist() == all_item_ids(synthetic_catalog)
    collection = chroma_client(chroma_dir).get_collection("items", embedding_function=None)
    assert collection.count() == n
    stored = collection.get(ids=[str(MATRIX)], include=["embeddings"])
    matrix_row = DenseIndex.load(dense).vectors([MATRIX])[0]
    assert np.allclose(stored["embeddings"][0], matrix_row, atol=1e-6)
    assert offline.attempts == []


def test_second_build_is_a_no_op_and_a_changed_catalog_rebuilds(
    built, synthetic_catalog, synthetic_catalog_path, tmp_path, offline
):
    folder, first = built
    again = build_dense_index(synthetic_catalog, folder)
    assert again["built"] is False and again["chroma_dir"] == first["chroma_dir"]

    # a copy of the index, rebuilt for a changed catalog: new chroma folder, old one removed
    copy = tmp_path / "index"
    shutil.copytree(folder, copy)
    rebuilt = build_dense_index(changed_catalog(synthetic_catalog_path, tmp_path), copy)
    assert rebuilt["built"] is True and rebuilt["chroma_dir"] != first["chroma_dir"]
    assert [p.name for p in (copy / "dense").glob("chroma-*")] == [rebuilt["chroma_dir"]]
    assert offline.attempts == []


# ----------------------------------------------------------------------- search


def test_distinctive_query_finds_the_film(ctx):
    out = search_dense(DenseArgs(query="a hockey player becomes a professional golfer"), ctx)
    assert out.tool == "search_dense"
    assert out.ids()[0] == HAPPY_GILMORE
    assert out.items[0].evidence[0].startswith("semantic match 0.")
    assert out.trace == f"dense: top {len(out.items)}"
    assert [s.score for s in out.items] == sorted((s.score for s in out.items), reverse=True)


def test_like_ids_are_excluded_and_named_in_the_evidence(ctx, synthetic_catalog):
    out = search_dense(DenseArgs(like_ids=[MATRIX], k=5), ctx)
    assert MATRIX not in out.ids() and len(out.items) == 5
    assert all(s.evidence == ["similar to The Matrix (1999)"] for s in out.items)
    top = synthetic_catalog.item(out.ids()[0])
    assert top is not None and "Science Fiction" in top.genres

    both = search_dense(DenseArgs(query="replicants in a rainy city", like_ids=[MATRIX]), ctx)
    assert MATRIX not in both.ids() and both.ids()[0] == BLADE_RUNNER
    assert both.items[0].evidence[0] == "similar to The Matrix (1999)"
    assert both.items[0].evidence[1].startswith("semantic match 0.")


def test_candidate_restriction_is_exact(ctx, synthetic_catalog):
    index = dense_mod.load_dense(ctx)
    everything = all_item_ids(synthetic_catalog)
    candidates = set(everything[1::3])
    for query in ("a funny road trip", "space horror", "a war epic"):
        out = search_dense(DenseArgs(query=query, k=5), ctx, candidates=candidates)
        assert set(out.ids()) <= candidates
        assert out.trace == f"dense: {len(candidates)} -> 5"
        # brute force: score every item, keep the candidates, take the best five
        scores = index.matrix @ index.encode([query])[0]
        ranked = sorted(
            (i for i in everything if i in candidates),
            key=lambda i: (-scores[everything.index(i)], i),
        )
        assert out.ids() == ranked[:5], query
        expected = [round(float(scores[everything.index(i)]), 4) for i in ranked[:5]]
        assert [s.score for s in out.items] == pytest.approx(expected, abs=1e-4)


def test_chroma_and_exact_search_agree(ctx, synthetic_catalog):
    everything = all_item_ids(synthetic_catalog)
    for query in ("a funny road trip", "space horror"):
        via_chroma = search_dense(DenseArgs(query=query, k=10), ctx)
        exact = search_dense(DenseArgs(query=query, k=10), ctx, candidates=everything)
        assert via_chroma.ids() == exact.ids()
        assert [s.score for s in via_chroma.items] == pytest.approx(
            [s.score for s in exact.items], abs=1e-4
        )


def test_like_ids_with_candidates_are_still_excluded(ctx):
    out = search_dense(
        DenseArgs(like_ids=[MATRIX, BLADE_RUNNER]),
        ctx,
        candidates={MATRIX, BLADE_RUNNER, HAPPY_GILMORE},
    )
    assert out.ids() == [HAPPY_GILMORE]


@pytest.mark.parametrize("kwargs", [{}, {"query": ""}, {"query": "   "}, {"like_ids": []}])
def test_nothing_to_search_is_an_argument_error(kwargs):
    with pytest.raises(ToolArgumentError, match="give a query, like_ids, or both"):
        DenseArgs(**kwargs)


def test_unknown_like_ids_are_an_argument_error(ctx):
    with pytest.raises(ToolArgumentError, match=r"\[999999999\]"):
        search_dense(DenseArgs(like_ids=[MATRIX, 999_999_999]), ctx)


def test_reloaded_index_gives_the_same_results(ctx, built):
    args = DenseArgs(query="a gangster family saga", like_ids=[HAPPY_GILMORE], k=10)
    before = search_dense(args, ctx)
    fresh = ToolContext(Resources(ctx.catalog, built[0]))
    after = search_dense(args, fresh)
    assert dense_mod.load_dense(fresh) is not dense_mod.load_dense(ctx)
    assert after.ids() == before.ids()
    assert [s.score for s in after.items] == pytest.approx([s.score for s in before.items])


def test_vectors_encode_and_threads(ctx):
    import torch

    index = dense_mod.load_dense(ctx)
    rows = index.vectors([MATRIX, 999_999_999, HAPPY_GILMORE])
    assert rows.shape == (3, DIM) and rows.dtype == np.float32
    assert np.allclose(np.linalg.norm(rows[[0, 2]], axis=1), 1, atol=1e-4)
    assert not rows[1].any()  # unknown id: zero vector

    first = index.encode(["time travel romance", "heist"])
    again = index.encode(["heist", "time travel romance"])
    assert np.array_equal(first[::-1], again)
    assert np.allclose(np.linalg.norm(first, axis=1), 1, atol=1e-4)
    assert torch.get_num_threads() <= dense_mod.DEFAULT_TORCH_THREADS


def test_query_encoder_matches_sentence_transformers(ctx):
    index = dense_mod.load_dense(ctx)
    model = index.model
    fast = dense_mod.QueryEncoder(model)
    assert fast.direct  # all-MiniLM-L6-v2 is transformer -> mean pooling -> normalise
    texts = ["a heist in Las Vegas", "Groundhog Day but scary", "x"]
    reference = model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    assert np.allclose(fast(texts), reference, atol=1e-5)
    assert np.allclose(index.encode(texts), reference, atol=1e-5)


def test_missing_index_is_a_clear_error(synthetic_catalog, tmp_path):
    empty = ToolContext(Resources(synthetic_catalog, tmp_path))
    with pytest.raises(ConvrecError, match="no dense index"):
        search_dense(DenseArgs(query="anything"), empty)


def test_no_network_was_ever_tried(offline):
    assert offline.attempts == []


# ----------------------------------------------------------------------- the ONNX query encoder

ENCODER_TEXTS = [
    "a heist in Las Vegas",
    "Groundhog Day but scary",
    "x",
    "",
    "   leading and trailing spaces   ",
    "something like Alien but funnier, no horror, under two hours",
    "AMÉLIE, Ōkami & 東京物語 — café noir 🎬 (1953)",
    "don't/won't: hyphen-ated words, numbers 1999 and 2.5 stars!",
    "A retired hitman is pulled back in when gangsters kill his dog. " * 40,  # truncated
]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_build_exports_an_onnx_query_encoder(built):
    folder, report = built
    dense = folder / "dense"
    assert report["query_encoder"] == "onnx"
    assert dense_mod.onnx_encoder_files(dense)
    assert json.loads((dense / "manifest.json").read_text())["query_encoder"] == "onnx"


def test_onnx_encoder_gives_the_sentence_transformers_vectors(ctx):
    index = dense_mod.load_dense(ctx)
    onnx = index.onnx_encoder
    assert onnx is not None and index.query_encoder is onnx
    reference = index.model.encode(
        ENCODER_TEXTS, normalize_embeddings=True, convert_to_numpy=True
    )
    one_by_one = np.vstack([onnx([t]) for t in ENCODER_TEXTS])
    padded_batch = onnx(ENCODER_TEXTS)  # one batch: every short text is padded
    for vectors in (one_by_one, padded_batch):
        assert vectors.shape == (len(ENCODER_TEXTS), DIM) and vectors.dtype == np.float32
        assert cosines(vectors, reference).min() >= 0.999
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert np.allclose(index.encode(ENCODER_TEXTS[:8], cache=False), reference[:8], atol=1e-5)
    assert onnx([]).shape == (0, DIM)


def test_without_the_onnx_files_queries_fall_back_to_torch(built, ctx, tmp_path):
    copy = tmp_path / "dense"
    shutil.copytree(built[0] / "dense", copy)
    dense_mod.remove_onnx_encoder(copy)
    index = DenseIndex.load(copy)
    assert index.onnx_encoder is None
    assert isinstance(index.query_encoder, dense_mod.QueryEncoder)
    reference = dense_mod.load_dense(ctx).encode(ENCODER_TEXTS[:4], cache=False)
    assert cosines(index.encode(ENCODER_TEXTS[:4]), reference).min() >= 0.999


def test_build_adds_the_encoder_to_a_current_index_without_rebuilding(
    built, synthetic_catalog, tmp_path, offline
):
    copy = tmp_path / "index"
    shutil.copytree(built[0], copy)
    dense = copy / "dense"
    dense_mod.remove_onnx_encoder(dense)
    vectors_before = (dense / "vectors.npy").stat().st_mtime_ns
    again = build_dense_index(synthetic_catalog, copy)
    assert again["built"] is False and again["chroma_dir"] == built[1]["chroma_dir"]
    assert again["query_encoder"] == "onnx" and dense_mod.onnx_encoder_files(dense)
    assert (dense / "vectors.npy").stat().st_mtime_ns == vectors_before
    assert DenseIndex.load(dense).onnx_encoder is not None
    assert offline.attempts == []


def test_search_encodes_the_query_once(ctx, monkeypatch):
    index = dense_mod.load_dense(ctx)
    index.clear_query_cache()
    calls: list[list[str]] = []
    real = index.encode

    def counting(texts: Any, **kwargs: Any) -> np.ndarray:
        calls.append(list(texts))
        return real(texts, **kwargs)

    monkeypatch.setattr(index, "encode", counting)
    out = search_dense(DenseArgs(query="a lonely robot falls in love", like_ids=[MATRIX]), ctx)
    assert out.items and calls == [["a lonely robot falls in love"]]


def test_querying_imports_neither_torch_nor_sentence_transformers(built):
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from convrec.tools.dense import DenseIndex\n"
        f"index = DenseIndex.load(Path({str(built[0] / 'dense')!r}))\n"
        "index.warm_up()\n"
        "vector = index.encode(['a heist in Las Vegas'])[0]\n"
        "hits = index.search(vector, 3)\n"
        "print(json.dumps({'hits': len(hits), 'modules': sorted(m for m in sys.modules\n"
        "    if m.split('.')[0] in ('torch', 'sentence_transformers', 'transformers'))}))\n"
    )
    result = run_fresh(code)
    assert result == {"hits": 3, "modules": []}


def test_a_failed_export_leaves_no_files_and_torch_answers(ctx, built, tmp_path, monkeypatch):
    copy = tmp_path / "dense"
    shutil.copytree(built[0] / "dense", copy)
    model = dense_mod.load_dense(ctx).model

    def broken(model: Any, path: Path) -> None:
        path.write_bytes(b"half a file")
        raise RuntimeError("exporter unavailable")

    monkeypatch.setattr(dense_mod.onnx_encoder, "_torch_onnx_export", broken)
    assert dense_mod.export_onnx_encoder(model, copy) is False
    assert not dense_mod.onnx_encoder_files(copy)
    assert not [p.name for p in copy.iterdir() if p.name.endswith(".tmp")]
    index = DenseIndex.load(copy)
    assert index.onnx_encoder is None and index.encode(["a heist"]).shape == (1, DIM)
