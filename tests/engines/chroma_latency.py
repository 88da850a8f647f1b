"""Dense search latency: the embedded chroma folder against a Chroma server.

For docs/reliability/chroma.md:

    TESTS_PREBUILT_HOME=/work/home python -m tests.engines.chroma_latency [--queries 200]

Starts its own `chroma run` on loopback (tests/harness/chroma.py), populates it from the
index of CONVREC_INDEX_DIR (or TESTS_PREBUILT_HOME/index) with `build_dense_index(...,
chroma_url=...)`, then times `DenseIndex.search(vector, 100)` (the pipeline's pool, whole
catalog) for the same query vectors on both, alternating, after a warm-up. The queries are
the first sentence of every n-th catalog overview (deterministic). Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from convrec.catalog.db import Catalog
from convrec.tools.dense import DenseIndex, build_dense_index
from tests.harness.chroma import ChromaServer


def queries(catalog: Catalog, n: int) -> list[str]:
    rows = catalog.query("SELECT overview FROM items WHERE overview IS NOT NULL "
                         "AND length(overview) > 40 ORDER BY item_id")
    step = max(1, len(rows) // n)
    return [str(r["overview"]).split(". ")[0][:200] for r in rows[::step]][:n]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=100)
    args = parser.parse_args()
    home = Path(os.environ.get("TESTS_PREBUILT_HOME", os.environ.get("CONVREC_HOME", ".")))
    index_dir = Path(os.environ.get("CONVREC_INDEX_DIR", home / "index"))
    catalog = Catalog(Path(os.environ.get("CONVREC_CATALOG_PATH", home / "catalog.sqlite")))
    with tempfile.TemporaryDirectory() as tmp:
        server = ChromaServer(Path(tmp) / "data", Path(tmp) / "chroma.log").start()
        try:
            started = time.perf_counter()
            build_dense_index(catalog, index_dir, chroma_url=server.url)
            populate_s = time.perf_counter() - started
            folder = index_dir / "dense"
            embedded = DenseIndex.load(folder)
            remote = DenseIndex.load(folder, chroma_url=server.url)
            texts = queries(catalog, args.queries)
            vectors = embedded.encode(texts, cache=False)
            for index in (embedded, remote):  # warm up: load, connect
                index.search(vectors[0], args.k)
            exact, _ = embedded.search_all_exact(vectors, args.k)
            times: dict[str, list[float]] = {"embedded": [], "server": []}
            recall: dict[str, list[float]] = {"embedded": [], "server": []}
            same = same10 = 0
            for vector, truth in zip(vectors, exact, strict=True):
                hits = {}
                for name, index in (("embedded", embedded), ("server", remote)):
                    t0 = time.perf_counter()
                    hits[name] = [i for i, _ in index.search(vector, args.k)]
                    times[name].append((time.perf_counter() - t0) * 1000)
                    recall[name].append(len(set(hits[name]) & set(truth.tolist())) / args.k)
                same += hits["embedded"] == hits["server"]
                same10 += hits["embedded"][:10] == hits["server"][:10]
        finally:
            server.stop()
    report = {
        "queries": len(vectors), "k": args.k, "items": len(embedded),
        "populate_seconds": round(populate_s, 1),
        "same_ids_and_order": same, "same_top10": same10,
        **{f"{name}_recall_vs_exact": round(statistics.fmean(v), 4)
           for name, v in recall.items()},
        **{f"{name}_ms": {"p50": round(statistics.median(v), 2),
                          "p95": round(percentile(v, 0.95), 2),
                          "mean": round(statistics.fmean(v), 2)} for name, v in times.items()},
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, load average "
                   f"{os.getloadavg()[0]:.1f}",
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
