"""Server start-up: load every index and set the process up for answering queries.

What `Agent.warm_up`, the benchmarks and (later) the UI server call once per process.
"""

from __future__ import annotations

import gc

from convrec.tools.context import Resources, ToolContext
from convrec.tools.filters import get_vocab
from convrec.tools.lookup import get_title_index
from convrec.tools.profiles.tool import load_profiles


def load_all(resources: Resources, *, freeze: bool = True, blas_threads: int | None = 1) -> None:
    """Load every index and lookup table and set the process up for answering queries (what
    a server does at start-up).

    * The dense index warms up its query encoder too: the exported ONNX encoder (no torch,
      well under a second), or the torch model for an index built without it.
    * `blas_threads`: numpy / scipy's BLAS (OpenBLAS) is limited to this many threads, for
      the whole process. A step's matrix products are small (a query against a few thousand
      films, a 128 x 128 solve); a second BLAS thread saves nothing on them, but on 2 cores
      shared with other processes its spinning threads wait for a core: with one other
      process busy, 2 BLAS threads measured pipeline p50 35-43 / p95 126-360 ms against
      16-24 / 35-58 ms with 1 (200 steps each, load average ~4.7). None leaves BLAS alone.
    * `freeze`: the loaded indexes are ~190k long-lived Python objects (title and filter
      vocabularies, profiles, chroma's modules). Every full (generation 2) collection walks
      all of them; a step allocates enough (a filter over thousands of films) to trigger one
      every few steps, and each took ~90 ms on 2 busy cores: pipeline p95 120 ms against
      33 ms frozen. `gc.freeze()` moves the objects alive now to a permanent generation the
      collector skips (reference counting still frees them if they are dropped).
    """
    from convrec.tools.bm25 import load_bm25  # deferred: convrec.tools.bm25 pulls in numpy, scipy
    from convrec.tools.cf import load_cf  # deferred: convrec.tools.cf pulls in numpy, scipy
    from convrec.tools.dense import load_dense  # deferred: convrec.tools.dense pulls in numpy

    # deferred: convrec.tools.ranking.model pulls in numpy, scipy
    from convrec.tools.ranking.model import load_ranker, ranker_status

    ctx = ToolContext(resources)
    for load in (load_bm25, load_cf, load_profiles, get_vocab, get_title_index):
        load(ctx)
    load_dense(ctx).warm_up()  # the query encoder too, not only the vectors
    if ranker_status(ctx) is None:  # a missing one is said in each turn's trace instead
        load_ranker(ctx)
    if blas_threads is not None:
        from threadpoolctl import threadpool_limits  # deferred: ~80 ms to import

        threadpool_limits(blas_threads, user_api="blas")  # process-wide, not a context
    if freeze:
        gc.collect()
        gc.freeze()
