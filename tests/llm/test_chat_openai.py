"""The openai backend on langchain-openai's `ChatOpenAI`, against a scripted OpenAI-compatible
endpoint on loopback that records each request: what is sent (settings, per-call options), text,
streams (sync and async share one reading), structured output, tool binding through
`chat_model`, and failures as one-line errors."""

from __future__ import annotations

import asyncio
import threading

import pytest
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from pydantic import BaseModel

from convrec.config import get_settings
from convrec.llm.openai_api import OpenAiLlm
from convrec.llm.types import LlmOutputError, LlmUnavailable
from tests.llm.scripted_endpoint import WORDS, scripted_endpoint

CAPITAL = [
    {"role": "system", "content": "Answer in one sentence."},
    {"role": "user", "content": "What is the capital of France?"},
]


class City(BaseModel):
    city: str
    country: str


@tool
def search_films(query: str) -> str:
    """Search the catalog for films matching a query."""
    return query


@pytest.fixture(scope="module")
def endpoint():
    with scripted_endpoint() as (root, requests):
        yield root, requests


def backend(root: str, mode: str = "plain", **overrides) -> OpenAiLlm:
    options = {"model": "scripted", "timeout_s": 10.0, "max_retries": 0, **overrides}
    return OpenAiLlm(base_url=f"{root}/{mode}/v1", **options)


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert text and "\n" not in text and "Traceback" not in text
    return text


def test_chat_model_is_chatopenai_from_the_settings(endpoint):
    root, _ = endpoint
    settings = get_settings(
        llm_backend="openai",
        llm_base_url=f"{root}/plain/v1",
        llm_model="scripted",
        llm_timeout_s=7.0,
        llm_max_retries=3,
    )
    llm = OpenAiLlm.from_settings(settings)
    chat = llm.chat_model
    assert isinstance(chat, ChatOpenAI) and llm.chat_model is chat
    assert chat.model_name == "scripted" and chat.openai_api_base == f"{root}/plain/v1"
    assert chat.request_timeout == 7.0 and chat.max_retries == 3


def test_complete_sends_the_call_options(endpoint):
    root, requests = endpoint
    text = backend(root).complete(CAPITAL, max_tokens=16, stop=["\n"])
    assert text == "".join(WORDS)
    sent = requests[-1]
    assert sent["model"] == "scripted" and sent["temperature"] == 0.0
    # compatible servers get max_tokens (all know it); only api.openai.com gets the new name
    assert sent["max_tokens"] == 16 and "max_completion_tokens" not in sent
    assert sent["stop"] == ["\n"]
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    assert sent["messages"][1]["content"] == CAPITAL[1]["content"]


def test_stream_and_astream_read_the_same_deltas(endpoint):
    root, requests = endpoint
    llm = backend(root)
    assert list(llm.stream(CAPITAL, max_tokens=16)) == WORDS
    assert requests[-1]["stream"] is True

    async def collect() -> list[str]:
        return [d async for d in llm.astream(CAPITAL, max_tokens=16)]

    assert asyncio.run(collect()) == WORDS
    assert asyncio.run(collect()) == WORDS  # a new event loop: a new async client


def test_a_cancelled_stream_stops(endpoint):
    root, _ = endpoint
    cancel = threading.Event()
    got = []
    for delta in backend(root).stream(CAPITAL, cancel=cancel):
        got.append(delta)
        cancel.set()
    assert got == WORDS[:1]


def test_structured_output_through_with_structured_output(endpoint):
    root, requests = endpoint
    llm = backend(root)
    assert llm.structured(CAPITAL, City, max_tokens=32) == City(city="Paris", country="France")
    fmt = requests[-1]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "City"
    assert fmt["json_schema"]["strict"] is True
    assert requests[-1]["max_tokens"] == 32
    assert llm._structured_method == "json_schema"


def test_bind_tools_round_trip(endpoint):
    """What the agent's tool-calling planner does: bind its tools to `llm.chat_model`."""
    root, requests = endpoint
    reply = (
        backend(root, "tools")
        .chat_model.bind_tools([search_films])
        .invoke("Find me a science-fiction film")
    )
    assert reply.tool_calls[0]["name"] == "search_films"
    assert reply.tool_calls[0]["args"] == {"query": "science fiction"}
    assert requests[-1]["tools"][0]["function"]["name"] == "search_films"


def test_timeout_is_one_line_unavailable(endpoint):
    root, _ = endpoint
    llm = backend(root, "slow", timeout_s=0.5)
    expected = r"did not answer within 0\.5 s"
    with pytest.raises(LlmUnavailable, match=expected) as info:
        llm.complete(CAPITAL)
    one_line(info.value)
    with pytest.raises(LlmUnavailable, match=expected):
        list(llm.stream(CAPITAL))

    async def collect() -> list[str]:
        return [d async for d in llm.astream(CAPITAL)]

    with pytest.raises(LlmUnavailable, match=expected):
        asyncio.run(collect())


@pytest.mark.parametrize("mode", ["text", "wrongjson"])
def test_garbage_is_one_line_output_error(stub_server, mode):
    llm = OpenAiLlm(base_url=f"{stub_server}/{mode}/v1", model="m", max_retries=0)
    with pytest.raises(LlmOutputError, match="not a chat completion") as info:
        llm.complete(CAPITAL)
    one_line(info.value)


def test_garbage_async_stream_is_one_line_output_error(stub_server):
    llm = OpenAiLlm(base_url=f"{stub_server}/badstream/v1", model="m", max_retries=0)

    async def collect() -> list[str]:
        return [d async for d in llm.astream(CAPITAL)]

    with pytest.raises(LlmOutputError) as info:
        asyncio.run(collect())
    one_line(info.value)


def test_structured_falls_back_to_json_mode_and_repair(endpoint):
    """An endpoint that refuses json_schema and tools: JSON mode, the prompted path."""
    root, requests = endpoint
    llm = backend(root, "jsononly")
    assert llm.structured(CAPITAL, City) == City(city="Paris", country="France")
    assert llm._structured_method == "json_mode"
    assert requests[-1]["response_format"] == {"type": "json_object"}
    before = len(requests)
    assert llm.structured(CAPITAL, City) == City(city="Paris", country="France")
    assert len(requests) == before + 1  # straight to the method that worked


def test_health_without_a_model_list(stub_server):
    """GET /models is missing there (404): a 1-token completion through ChatOpenAI."""
    state = OpenAiLlm(base_url=f"{stub_server}/picky/v1", model="m", max_retries=0).health()
    assert state.ok and "answers (no /models)" in state.detail


def test_the_official_api_gets_max_completion_tokens():
    llm = OpenAiLlm(model="gpt-4o-mini", api_key="sk-test")  # nothing is sent
    payload = llm.chat_model._get_request_payload([HumanMessage("hi")], **llm.call_options(5, 0.0))
    assert payload["max_completion_tokens"] == 5 and "max_tokens" not in payload
