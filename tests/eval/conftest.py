"""Fixtures of the simulation tests: settings on the real catalog and indexes, and the
evaluation home built from them once per session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def sim_settings(real_resources, real_catalog_path, llm_cache_dir, tmp_path_factory):
    from convrec.config import Settings

    return Settings(home=tmp_path_factory.mktemp("sim-home"), catalog_path=real_catalog_path,
                    index_dir=real_resources.index_dir, llm_cache_dir=llm_cache_dir)


@pytest.fixture(scope="session")
def sim_home(sim_settings, real_catalog):
    from convrec.eval.holdout import eval_home

    return eval_home(sim_settings, real_catalog)


@pytest.fixture(scope="session")
def sim_resources(sim_home):
    from convrec.catalog.db import Catalog
    from convrec.tools.context import Resources

    return Resources(Catalog(sim_home / "catalog.sqlite"), sim_home / "index")
