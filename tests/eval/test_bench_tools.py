"""Index load for the tools benchmark (`load_all`), every index built on the synthetic catalog.

`load_all` is what a server does at start-up; in a fresh process it must not import torch or
sentence-transformers (queries are encoded with the exported ONNX encoder), it leaves the loaded
objects frozen out of the garbage collector's full collections, and BLAS on one thread.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from convrec.tools.index_build import build_indexes
from tests.fresh_process import run_fresh


@pytest.fixture(scope="module")
def index_dir(synthetic_catalog, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bench-tools-index")
    build_indexes(synthetic_catalog, folder)
    return folder


def test_load_all_in_a_fresh_process_imports_no_torch(synthetic_catalog_path, index_dir):
    code = (
        "import gc, json, sys\n"
        "from pathlib import Path\n"
        "from convrec.catalog.db import Catalog\n"
        "from convrec.tools.warmup import load_all\n"
        "from convrec.tools.context import Resources, ToolContext\n"
        "from convrec.tools.dense import DenseArgs, search_dense\n"
        f"resources = Resources(Catalog(Path({str(synthetic_catalog_path)!r})), "
        f"Path({str(index_dir)!r}))\n"
        "load_all(resources)\n"
        "frozen = gc.get_freeze_count()\n"
        "from threadpoolctl import threadpool_info\n"
        "blas = sorted({p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas'})\n"
        "out = search_dense(DenseArgs(query='a hockey player becomes a golfer', k=3),\n"
        "                   ToolContext(resources))\n"
        "heavy = sorted(m for m in sys.modules\n"
        "               if m.split('.')[0] in ('torch', 'sentence_transformers', 'transformers'))\n"
        "print(json.dumps({'hits': len(out.items), 'heavy': heavy, 'frozen': frozen,\n"
        "                  'blas': blas}))\n"
    )
    result = run_fresh(code)
    assert result["hits"] == 3 and result["heavy"] == []
    assert result["frozen"] > 10_000
    assert result["blas"] == [1]  # numpy's BLAS on one thread (see load_all)
