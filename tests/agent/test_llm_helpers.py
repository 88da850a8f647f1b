"""The model-free parts of the LLM layer: stop strings, finding and prompting for JSON."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel, Field

from convrec.config import get_settings
from convrec.llm.json_output import (
    first_json_object,
    json_instruction,
    json_object_end,
    json_schema_validator,
    prompted_json,
    with_instruction,
)
from convrec.llm.streaming import StopMatcher, cut_at_stop
from convrec.llm.types import LlmError, LlmOutputError, check_messages


def feed_all(stop, deltas):
    matcher = StopMatcher(stop)
    out = []
    for delta in deltas:
        out.append(matcher.feed(delta))
        if matcher.stopped:
            break
    else:
        out.append(matcher.flush())
    return "".join(out), matcher.stopped


def test_stop_strings_across_deltas():
    assert feed_all(["STOP"], ["Hello ", "ST", "OP and more"]) == ("Hello ", True)
    assert feed_all(["STOP"], ["Hello ", "ST", "ar"]) == ("Hello STar", False)
    assert feed_all(["\n\n", "User:"], ["a\n", "\nb"]) == ("a", True)
    assert feed_all(None, ["a", "b"]) == ("ab", False)
    assert cut_at_stop("one. two. three", [". t"]) == "one"


def test_check_messages():
    hello = [{"role": "user", "content": "hi"}]
    assert check_messages(hello) == hello
    with pytest.raises(LlmError, match="message 1 must be"):
        check_messages([{"role": "user", "content": "hi"}, {"role": "user", "content": 3}])


def test_json_object_end_respects_strings():
    text = '{"a": "}{", "b": [1, {"c": "\\"}"}]} trailing'
    end = json_object_end(text)
    assert text[:end].endswith("}]}")
    assert json_object_end('{"a": 1') is None


def test_first_json_object():
    assert first_json_object('Sure! ```json\n{"a": 1}\n``` done') == {"a": 1}
    assert first_json_object('{bad} then {"ok": true}') == {"ok": True}
    with pytest.raises(LlmOutputError, match="no JSON object"):
        first_json_object("nothing here")
    with pytest.raises(LlmOutputError, match="not valid JSON"):
        first_json_object('{"a": ')


class Plan(BaseModel):
    tool: Literal["search", "ask"]
    query: str = Field(description="what to search for")
    limit: int = 5
    tags: list[str] = []


def test_instruction_lists_fields_and_an_example():
    text = json_instruction(Plan.model_json_schema())
    assert '"tool": one of "search", "ask"' in text
    assert '"query": string - what to search for' in text
    assert '"limit": integer (optional)' in text
    assert 'Format example: {"tool": "search", "query": "...", "limit": 5, "tags": []}' in text
    msgs = with_instruction([{"role": "user", "content": "find comedies"}], text)
    assert msgs[-1]["content"].startswith("find comedies\n\n")


def test_json_schema_validator():
    check = json_schema_validator(Plan.model_json_schema())
    assert check({"tool": "ask", "query": "x"}) == {"tool": "ask", "query": "x"}
    with pytest.raises(ValueError, match="tool"):
        check({"tool": "dance", "query": "x"})


def test_prompted_json_repairs_once():
    replies = iter(['{"tool": "dance", "query": "x"}', '{"tool": "ask", "query": "x"}'])
    seen = []

    def generate(msgs, budget):
        seen.append(msgs)
        return next(replies)

    plan = prompted_json(generate, [{"role": "user", "content": "go"}],
                         Plan.model_json_schema(), Plan.model_validate)
    assert plan == Plan(tool="ask", query="x")
    assert "not right" in seen[1][-1]["content"] and seen[1][-2]["role"] == "assistant"


def test_prompted_json_gives_up_after_one_repair():
    with pytest.raises(LlmOutputError, match="no valid JSON after one repair"):
        prompted_json(lambda msgs, budget: "no", [{"role": "user", "content": "go"}], None)


def test_llm_settings_defaults(tmp_path, monkeypatch):
    monkeypatch.delenv("CONVREC_LLM_CACHE_DIR")  # set for every test here by conftest
    settings = get_settings(home=tmp_path)
    assert settings.llm_cache == tmp_path / "models"
    assert settings.llm_timeout_s == 30 and settings.llm_max_retries == 2
    assert settings.llm_threads == 0 and settings.llm_dtype == "auto"
    assert get_settings(llm_cache_dir=tmp_path / "x").llm_cache == tmp_path / "x"
