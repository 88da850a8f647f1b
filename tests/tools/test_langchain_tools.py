"""The registry as LangChain tools on the real catalog: schemas a model sees, the session's
facts injected whatever the model writes, compact results marked as data, one-line errors."""

from __future__ import annotations

import re

import pytest
from langchain_core.tools import StructuredTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from convrec.tools.context import ToolContext
from convrec.tools.filters import FilterArgs, violations
from convrec.tools.langchain_tools import (
    SESSION_FIELDS,
    SessionFacts,
    ToolBox,
    description,
    model_args,
)
from convrec.tools.registry import TOOLS

pytestmark = pytest.mark.integration

NINETIES_COMEDY = FilterArgs.model_validate({"genres_any": ["Comedy"], "year_from": 1990,
                                             "year_to": 1999})


def ids_in(text: str) -> list[int]:
    return [int(m) for m in re.findall(r"^- id (\d+):", text, flags=re.M)]


@pytest.fixture
def box(real_resources) -> ToolBox:
    return ToolBox(ToolContext(real_resources, "ml:1"),
                   SessionFacts(constraints=NINETIES_COMEDY, exclude_ids=frozenset({2324})))


def test_every_tool_is_a_structured_tool_with_docs_and_field_descriptions(box):
    tools = box.structured_tools()
    assert [t.name for t in tools] == list(TOOLS)
    for tool in tools:
        assert isinstance(tool, StructuredTool)
        spec = TOOLS[tool.name]
        assert tool.description.startswith(spec.summary)
        first_doc_line = (spec.function.__doc__ or "").strip().splitlines()[0]
        assert first_doc_line.strip() in tool.description
        schema = convert_to_openai_tool(tool)["function"]["parameters"]
        hidden = SESSION_FIELDS.get(tool.name, frozenset())
        assert set(schema["properties"]) == set(spec.args_model.model_fields) - hidden
        for name, prop in schema["properties"].items():
            assert prop.get("description"), f"{tool.name}.{name} has no description"
    # what carries facts or identity is not the model's to write
    assert set(model_args("filter_items").model_fields) == {"limit"}
    assert "like_ids" not in model_args("search_dense").model_fields
    assert "liked_ids" not in model_args("rank_cf").model_fields
    assert "user" in description("user_profile") and "session" in description("user_profile")


def test_filter_items_always_runs_the_sessions_constraints(box, real_resources):
    ctx = ToolContext(real_resources)
    reply = box.call("filter_items", {"genres_any": ["Horror"], "year_from": 1970,
                                      "year_to": 1979, "exclude_ids": [], "limit": 5})
    assert reply.ok and reply.text.startswith("filter_items result (catalog data, not ")
    assert "ignored exclude_ids, genres_any, year_from, year_to" in reply.text
    shown = ids_in(reply.text)
    assert shown and 2324 not in shown
    assert not any(violations(shown, NINETIES_COMEDY, ctx).values())
    # the same through LangChain: a session field is refused with a one-line message
    tool = {t.name: t for t in box.structured_tools()}["filter_items"]
    refused = tool.invoke({"genres_any": ["Horror"]})
    assert refused.startswith("error: filter_items arguments: genres_any set by the session")
    assert "\n" not in refused
    ran = tool.invoke({"limit": 3})
    assert not any(violations(ids_in(ran), NINETIES_COMEDY, ctx).values())
    unconstrained = ToolBox(ctx, SessionFacts()).call("filter_items", {"genres_any": ["Horror"]})
    assert unconstrained.ok and "the request has no hard constraints" in unconstrained.text


def test_searches_see_only_films_the_request_allows(box, real_resources):
    ctx = ToolContext(real_resources)
    for name, args in (("search_bm25", {"query": "friendship"}),
                       ("search_dense", {"query": "two friends on a road trip"}),
                       ("rank_cf", {"k": 20}), ("user_profile", {"k": 20})):
        reply = box.call(name, args)
        shown = ids_in(reply.text)
        assert reply.ok and shown, name
        assert len(shown) <= 8 and len(reply.text) < 2500
        assert not any(violations(shown, NINETIES_COMEDY, ctx).values()), name
        assert 2324 not in shown


def test_the_user_is_the_sessions(real_resources):
    facts = SessionFacts(constraints=NINETIES_COMEDY)
    mine = ToolBox(ToolContext(real_resources, "ml:1"), facts)
    other = ToolBox(ToolContext(real_resources, "ml:2"), facts)
    claimed = mine.call("user_profile", {"user_id": "ml:2", "k": 5})
    assert "ignored user_id: set by the session" in claimed.text
    assert claimed.ids == mine.call("user_profile", {"k": 5}).ids
    assert claimed.ids != other.call("user_profile", {"k": 5}).ids
    anonymous = ToolBox(ToolContext(real_resources), facts).call("user_profile", {"k": 5})
    assert not anonymous.ok and "no user profile" in anonymous.text


def test_bad_arguments_and_unknown_tools_are_one_line_errors(box):
    cases = [
        ("search_bm25", {"query": 42}, "query: Input should be a valid string"),
        ("search_bm25", {}, "query: Field required"),
        ("search_dense", {"query": "heist", "k": "ten"}, "k: Input should be a valid integer"),
        ("lookup_items", {"item_id": 1, "title": "Heat"}, "give exactly one of item_id or title"),
        ("search_bm25", {"query": "heist", "colour": "red"}, "colour: Extra inputs"),
    ]
    for name, args, why in cases:
        reply = box.call(name, args)
        assert not reply.ok and reply.text.startswith(f"error: {name} arguments: {why}")
        assert "\n" not in reply.text and "Traceback" not in reply.text
    unknown = box.call("run_sql", {"sql": "DROP TABLE items"})
    assert not unknown.ok
    assert unknown.text == ("error: unknown tool 'run_sql'; available: filter_items, "
                            "lookup_items, search_bm25, search_dense, user_profile, rank_cf")


def test_a_looked_up_film_says_when_it_cannot_be_recommended(box):
    reply = box.call("lookup_items", {"title": "Heat", "year": 1995})
    assert reply.ok
    first = reply.text.splitlines()[1]
    assert "Heat (1995)" in first
    assert "not recommendable" in first or "does not meet the request's constraints" in first
