"""The filter tests' contexts over the synthetic and the real catalog (a test module that
defines its own `ctx` keeps it)."""

from __future__ import annotations

import pytest

from convrec.tools.context import Resources, ToolContext


@pytest.fixture(scope="module")
def ctx(synthetic_catalog, tmp_path_factory) -> ToolContext:
    return ToolContext(Resources(synthetic_catalog, tmp_path_factory.mktemp("index")))


@pytest.fixture(scope="module")
def real_ctx(real_catalog, tmp_path_factory) -> ToolContext:
    return ToolContext(Resources(real_catalog, tmp_path_factory.mktemp("real-index")))
