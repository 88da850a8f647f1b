"""Bad arguments for every tool of the registry, three ways in: the typed function (what
the agent's planner and TRL call), the session's `ToolBox` (what a tool-calling model
calls, and the LangChain tools made from it) and `convrec tools NAME --args JSON`'s parser.

Arguments are random JSON and schema-shaped but wrong: the tool's own field names with
wrong types, huge and negative numbers, nested lists, path, SQL and prompt text. Every
call returns, or refuses with a one-line `ToolArgumentError` / `ConvrecError` (a pydantic
`ValidationError` for the typed argument model); the ToolBox never raises, and what it
returns meets the session's hard constraints; the catalog file does not change.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from convrec.cli.indexes import parse_tool_args
from convrec.errors import ConvrecError
from convrec.tools.base import ToolOutput
from convrec.tools.context import ToolContext
from convrec.tools.filters import FilterArgs, violations
from convrec.tools.langchain_tools import IDENTITY_FIELDS, SessionFacts, ToolBox
from convrec.tools.registry import TOOLS
from tests.fuzz.conftest import file_hash, one_line
from tests.fuzz.strategies import FUZZ, NUMBERS, TIMEOUT_S, deep, json_values, texts

pytestmark = pytest.mark.timeout(TIMEOUT_S)

CONSTRAINTS = FilterArgs(genres_any=["Comedy"], year_from=1990, year_to=1999)
EXCLUDED = frozenset({2324, 1265})
NAMES = sorted(TOOLS)
FIELDS = sorted({f for spec in TOOLS.values() for f in spec.args_model.model_fields}
                | IDENTITY_FIELDS | {"constraints", "args", "__proto__"})
WRONG_VALUES = st.one_of(
    json_values(), NUMBERS, texts(huge=False),
    st.lists(st.one_of(NUMBERS, texts(huge=False)), max_size=6),
    st.builds(deep, json_values(max_leaves=2), st.integers(10, 400)),
    st.sampled_from(["Comedy", "Drama", "en", "Tom Hanks", "Heat", "genre", "person"]),
    st.lists(st.fixed_dictionaries({"name": texts(huge=False)},
                                   optional={"role": texts(huge=False)}), max_size=3))
ARGS = st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=20)), WRONG_VALUES,
                       max_size=5)
RAW = st.one_of(ARGS, ARGS, ARGS, json_values())


@pytest.fixture(scope="module")
def ctx(real_resources) -> ToolContext:
    return ToolContext(real_resources, "ml:1")


@pytest.fixture(scope="module")
def box(ctx) -> ToolBox:
    return ToolBox(ctx, SessionFacts(constraints=CONSTRAINTS, exclude_ids=EXCLUDED,
                                     liked_ids=(1, 2)))


def _check_output(output: Any, ctx: ToolContext) -> None:
    assert isinstance(output, ToolOutput)
    ids = output.ids()
    assert set(ids) <= ctx.catalog.exists(ids)
    assert one_line(output.trace) or not output.trace


@given(name=st.sampled_from(NAMES), raw=RAW, candidates=st.one_of(
    st.none(), st.lists(st.one_of(st.integers(-5, 5000), st.sampled_from([2**63 - 1, -2**63])),
                        max_size=30)))
@FUZZ
def test_typed_tools_return_or_refuse_in_one_line(ctx, name, raw, candidates):
    spec = TOOLS[name]
    try:
        args = spec.args_model.model_validate(raw)
    except ValidationError:
        return  # the typed model's refusal; the two ways in below word it in one line
    except ConvrecError as exc:  # a validator's ToolArgumentError
        assert one_line(str(exc)), repr(str(exc))
        return
    kwargs: dict[str, Any] = {} if name in ("filter_items", "lookup_items") else {
        "candidates": candidates}
    try:
        output = spec.function(args, ctx, **kwargs)
    except ConvrecError as exc:
        assert one_line(str(exc)), repr(str(exc))
        return
    _check_output(output, ctx)
    if name == "filter_items" and output.items:
        broken = violations(output.ids()[:50], args, ctx)
        assert not any(broken.values()), broken


@given(name=st.one_of(st.sampled_from(NAMES), texts(huge=False)), raw=RAW)
@FUZZ
def test_the_toolbox_never_raises_and_keeps_to_the_request(box, ctx, name, raw):
    reply = box.call(name, raw)
    if not reply.ok:
        assert reply.text.startswith("error:") or "no user profile" in reply.text
        assert one_line(reply.text), reply.text
        assert not reply.ids
        return
    assert reply.ids is not None and not set(reply.ids) & EXCLUDED
    if reply.ids:
        broken = violations(reply.ids, CONSTRAINTS, ctx)
        assert not any(broken.values()), broken


@given(name=st.sampled_from(NAMES), raw=ARGS)
@FUZZ
def test_langchain_tools_answer_in_one_line(box, name, raw):
    tools = {t.name: t for t in _structured(box)}
    text = tools[name].invoke(_jsonable(raw))
    assert isinstance(text, str) and text.strip()
    if text.startswith("error:"):
        assert one_line(text), text


@given(name=st.sampled_from(NAMES), raw=RAW, pairs=st.lists(
    st.builds(lambda k, v: f"{k}={v}", st.sampled_from(FIELDS), texts(huge=False)),
    max_size=3))
@FUZZ
def test_the_cli_argument_parser_refuses_in_one_line(name, raw, pairs):
    spec = TOOLS[name]
    try:
        parse_tool_args(spec.args_model, pairs, json.dumps(raw, default=str))
    except ConvrecError as exc:
        assert one_line(str(exc)), repr(str(exc))


def test_the_catalog_is_unchanged(box, real_catalog_path, catalog_hash):
    assert file_hash(real_catalog_path) == catalog_hash


_TOOLS_CACHE: dict[int, list[Any]] = {}


def _structured(box: ToolBox) -> list[Any]:
    if id(box) not in _TOOLS_CACHE:
        _TOOLS_CACHE[id(box)] = box.structured_tools()
    return _TOOLS_CACHE[id(box)]


def _jsonable(value: Any) -> Any:
    """What a model's tool call can carry: JSON (NaN and infinities become text)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value
