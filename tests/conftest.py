"""Shared fixtures.

Every test runs with a clean CONVREC_* environment, its own CONVREC_HOME and a
temporary working directory (so no developer's .env leaks in). Catalogs are
built once per session: a small synthetic one from tests/synthetic_data.py,
and the real one from ../shared/data (tests using it skip when it is absent).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from convrec.catalog.builder import build_catalog
from convrec.catalog.db import Catalog
from tests.harness.chroma import chroma_server, chroma_url  # noqa: F401  (shared fixtures)
from tests.harness.postgres import postgres, postgres_server  # noqa: F401  (fixtures for all)
from tests.harness.real_build import BackgroundBuild

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
# A developer shortcut: TESTS_PREBUILT_HOME=<a CONVREC_HOME with catalog.sqlite and index/>
# makes the real-catalog tests use it instead of building both (minutes) per session.
PREBUILT_HOME = os.environ.get("TESTS_PREBUILT_HOME")
# The first test that needs the real indexes waits for their build (dense, CF, profiles and
# the learned ranker: ten minutes or more on 2 busy cores); its timeout covers that build.
REAL_BUILD_TIMEOUT = 2400


# Fixtures that read the real catalog or the indexes built from it.
REAL_FIXTURES = frozenset({"real_catalog_path", "real_catalog", "real_resources", "sim_settings",
                           "sim_home", "sim_resources"})
INDEX_FIXTURES = REAL_FIXTURES - {"real_catalog_path", "real_catalog"}
_background: BackgroundBuild | None = None


def _needs_real(item: pytest.Item, fixtures: frozenset[str] = REAL_FIXTURES) -> bool:
    return bool(fixtures.intersection(getattr(item, "fixturenames", ())))


@pytest.hookimpl(trylast=True)  # after -k / -m / --deselect have chosen the items
def pytest_collection_modifyitems(config, items):
    """Modules that never read the real catalog run first, while its indexes build in a
    process of their own (`tests/harness/real_build.py`; the catalog itself is built here,
    before any test); the order within each group is kept, and a module stays whole. The
    first test that needs the indexes waits for them and gets the build's time."""
    global _background
    real_modules = {getattr(i, "module", None) for i in items if _needs_real(i)}
    items[:] = ([i for i in items if getattr(i, "module", None) not in real_modules]
                + [i for i in items if getattr(i, "module", None) in real_modules])
    first = next((i for i in items if _needs_real(i, INDEX_FIXTURES)), None)
    if first is not None:
        first.add_marker(pytest.mark.timeout(REAL_BUILD_TIMEOUT))
    if not real_modules:
        return
    if not PREBUILT_HOME and (SHARED_DATA / "movielens").is_dir() and _background is None:
        _background = BackgroundBuild(SHARED_DATA, Path(tempfile.mkdtemp(prefix="convrec-real-")))


def pytest_sessionfinish(session, exitstatus):
    if _background is not None:
        _background.stop()
        shutil.rmtree(_background.folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("CONVREC_"):
            monkeypatch.delenv(name)
    home = tmp_path / "convrec-home"
    monkeypatch.setenv("CONVREC_HOME", str(home))
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return home


@pytest.fixture(scope="session")
def synthetic_source(tmp_path_factory):
    from tests.synthetic_data import write_synthetic_dataset

    root = tmp_path_factory.mktemp("synthetic-data")
    expectations = write_synthetic_dataset(root)
    return root, expectations


@pytest.fixture(scope="session")
def synthetic_catalog_path(synthetic_source, tmp_path_factory) -> Path:
    root, _ = synthetic_source
    path = tmp_path_factory.mktemp("synthetic-catalog") / "catalog.sqlite"
    build_catalog(root, path)
    return path


@pytest.fixture(scope="session")
def synthetic_catalog(synthetic_catalog_path) -> Catalog:
    return Catalog(synthetic_catalog_path)


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    if not (SHARED_DATA / "movielens").is_dir():
        pytest.skip(f"real datasets not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def real_catalog_path(real_data_dir, tmp_path_factory) -> Path:
    if PREBUILT_HOME:
        return Path(PREBUILT_HOME) / "catalog.sqlite"
    if _background is not None:
        return _background.built_catalog()
    path = tmp_path_factory.mktemp("real-catalog") / "catalog.sqlite"
    build_catalog(real_data_dir, path)
    return path


@pytest.fixture(scope="session")
def real_catalog(real_catalog_path) -> Catalog:
    return Catalog(real_catalog_path)


@pytest.fixture(scope="session")
def real_resources(real_catalog, tmp_path_factory):
    """Every index built from the real catalog, once per session (a few minutes on 2 cores)."""
    from convrec.tools.context import Resources
    from convrec.tools.index_build import build_indexes

    if PREBUILT_HOME:
        return Resources(real_catalog, Path(PREBUILT_HOME) / "index")
    if _background is not None:
        return Resources(real_catalog, _background.wait_all())
    index_dir = tmp_path_factory.mktemp("real-index")
    build_indexes(real_catalog, index_dir)
    return Resources(real_catalog, index_dir)


@pytest.fixture(scope="session")
def llm_cache_dir(tmp_path_factory) -> Path:
    """One converted embedded model per test session (the prebuilt home's, when given)."""
    if PREBUILT_HOME and (Path(PREBUILT_HOME) / "models").is_dir():
        return Path(PREBUILT_HOME) / "models"
    return tmp_path_factory.mktemp("llm-cache")


# Simulation and RL: settings on the real catalog and indexes, and the evaluation home
# built from them once per session.


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
