"""Offline benchmark of the collaborative-filtering models of `convrec.cf`.

`run_cf_bench` is pure (it reads the ratings and returns a dict); `convrec bench cf` prints
the result and writes it to docs/BENCHMARKS.md. The protocol, the split and the model
selection (which `train_cf` also uses to choose the model it ships) live in
`convrec.cf.selection`; this module only measures and says on which machine.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping, Sequence
from typing import Any

from convrec.catalog.db import Catalog
from convrec.cf.data import Interactions
from convrec.cf.models import MODEL_NAMES
from convrec.cf.selection import compare_models
from convrec.progress import Progress


def run_cf_bench(
    source: Catalog | Interactions, *, seed: int = 0, ks: Sequence[int] = (10, 20),
    models: Sequence[str] = MODEL_NAMES,
    grids: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """`compare_models` (see its docstring for the protocol) and the machine it ran on."""
    results = compare_models(source, seed=seed, ks=ks, models=models, grids=grids,
                             progress=progress)
    results["machine"] = {"platform": platform.platform(), "python": platform.python_version(),
                          "cpus": os.cpu_count()}
    return results
