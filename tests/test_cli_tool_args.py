"""Turning `convrec tools NAME key=value ...` into a tool's argument model."""

from __future__ import annotations

import pytest
from pydantic import Field

from convrec.cli.indexes import parse_tool_args
from convrec.errors import ConvrecError
from convrec.tools.base import ToolArgs


class Args(ToolArgs):
    query: str
    genres: list[str] = Field(default_factory=list)
    k: int = 10
    year_from: int | None = None


def test_pairs_json_values_and_comma_lists():
    args = parse_tool_args(Args, ["query=space opera", "genres=Comedy,Drama", "k=5"], None)
    assert args == Args(query="space opera", genres=["Comedy", "Drama"], k=5)
    args = parse_tool_args(Args, ['genres=["Science Fiction"]'], '{"query": "x", "k": 3}')
    assert args.genres == ["Science Fiction"] and args.k == 3


def test_dashes_in_keys():
    assert parse_tool_args(Args, ["query=x", "year-from=1990"], None).year_from == 1990


@pytest.mark.parametrize(
    ("pairs", "json_args", "message"),
    [
        (["nonsense"], None, "key=value"),
        (["colour=red", "query=x"], None, "unknown argument 'colour'"),
        (["k=ten", "query=x"], None, "invalid k"),
        ([], "[1, 2]", "JSON object"),
        ([], "{bad", "not valid JSON"),
        ([], None, "invalid query"),
    ],
)
def test_bad_arguments_are_one_clear_error(pairs, json_args, message):
    with pytest.raises(ConvrecError, match=message):
        parse_tool_args(Args, pairs, json_args)
