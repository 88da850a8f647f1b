"""The embedded SmolLM2 as a LangChain chat model (`llm.chat_model`), and `convrec llm serve`'s
server in front of it used by langchain-openai's `ChatOpenAI`: the real model, the real server
on a free loopback port."""

from __future__ import annotations

import asyncio
import contextlib

import openai
import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, SecretStr

from convrec.llm.chat_embedded import LlmChatModel
from convrec.llm.embedded import EMBEDDED_MODEL
from convrec.llm.types import LlmError

QUESTION = "What is the capital of France? Answer in one sentence."
CAPITAL = [{"role": "user", "content": QUESTION}]


class City(BaseModel):
    city: str
    country: str


@tool
def search_films(query: str) -> str:
    """Search the catalog for films matching a query."""
    return query


# ----------------------------------------------------------------------------- in process


def test_every_local_backend_answers_chat_model(local_llm):
    chat = local_llm.chat_model
    assert isinstance(chat, LlmChatModel) and isinstance(chat, BaseChatModel)
    assert local_llm.chat_model is chat
    assert local_llm.supports_scoring  # scoring stays on the Llm
    assert len(local_llm.score_options(CAPITAL, ["Paris", "Rome"])) == 2


def test_invoke_and_stream_are_the_models_reply(local_llm):
    expected = local_llm.complete(CAPITAL, max_tokens=16)
    reply = local_llm.chat_model.invoke([HumanMessage(QUESTION)], max_tokens=16)
    assert isinstance(reply, AIMessage) and reply.content == expected
    chunks = [c.content for c in local_llm.chat_model.stream(QUESTION, max_tokens=16)]
    assert len([c for c in chunks if c]) > 1 and "".join(chunks) == expected

    async def collect() -> str:
        chat = local_llm.chat_model
        return "".join([c.content async for c in chat.astream(QUESTION, max_tokens=16)])

    assert asyncio.run(collect()) == expected


def test_stopping_an_async_stream_stops_decoding(local_llm):
    story = "Write a long story about a dragon."

    async def first_words() -> str:
        async with contextlib.aclosing(
            local_llm.chat_model.astream(story, max_tokens=400)
        ) as chunks:
            async for chunk in chunks:
                if chunk.content:
                    return str(chunk.content)
        return ""

    assert asyncio.run(first_words())
    assert local_llm._lock.acquire(timeout=10), "the model kept decoding"
    local_llm._lock.release()


def test_system_messages_and_stop(local_llm):
    messages = [SystemMessage("You are terse."), HumanMessage(QUESTION)]
    reply = local_llm.chat_model.invoke(messages, max_tokens=16, stop=["Paris"])
    assert "Paris" not in reply.content
    assert reply.content == local_llm.complete(
        [{"role": "system", "content": "You are terse."}, *CAPITAL], max_tokens=16, stop=["Paris"]
    )


def test_structured_output_is_the_llms(local_llm):
    city = local_llm.chat_model.with_structured_output(City).invoke(
        "What is the capital of France?"
    )
    assert isinstance(city, City) and city.city == "Paris"


def test_no_tool_calls(local_llm):
    """`bind_tools` says at once that this model makes no tool calls: the planner then uses
    its default plan without spending a decode."""
    with pytest.raises(NotImplementedError, match="makes no tool calls") as info:
        local_llm.chat_model.bind_tools([search_films])
    assert "\n" not in str(info.value)
    with pytest.raises(LlmError, match="tool message"):
        local_llm.chat_model.invoke([HumanMessage("hi"), ToolMessage("x", tool_call_id="1")])


# ----------------------------------------------------------------------------- over HTTP


@pytest.fixture
def served(openai_server) -> ChatOpenAI:
    return ChatOpenAI(
        base_url=openai_server,
        api_key=SecretStr("x"),
        model=EMBEDDED_MODEL,
        max_retries=0,
        timeout=120,
    )


def test_chatopenai_against_llm_serve(served, local_llm):
    expected = local_llm.complete(CAPITAL, max_tokens=16)
    assert served.invoke(QUESTION, max_tokens=16).content == expected
    chunks = [c.content for c in served.stream(QUESTION, max_tokens=16)]
    assert len([c for c in chunks if c]) > 1 and "".join(chunks) == expected


def test_tools_are_answered_without_tool_calls(served, local_llm):
    reply = served.bind_tools([search_films]).invoke(QUESTION, max_tokens=16)
    assert reply.tool_calls == [] and reply.content == local_llm.complete(CAPITAL, max_tokens=16)
    streamed = list(served.bind_tools([search_films]).stream(QUESTION, max_tokens=16))
    assert all(not c.tool_call_chunks for c in streamed)


def test_forcing_a_tool_call_is_a_clear_400(served):
    with pytest.raises(openai.BadRequestError, match="makes no tool calls"):
        served.bind_tools([search_films], tool_choice="search_films").invoke(QUESTION)
    assert served.invoke(QUESTION, max_tokens=4).content  # and the server still answers
