"""convrec pointed at vLLM's OpenAI-compatible server with tool calling on (the README's
recipe: `vllm serve MODEL --enable-auto-tool-choice --tool-call-parser hermes`): a tool call
round trip through `llm.chat_model.bind_tools`, and structured output. Skips without CUDA or
without vllm (it lives in its own environment, see README).

TESTS_VLLM_MODEL names the model (a local folder or a hub id already in the HF cache); its
chat template must emit Hermes-style tool calls (Qwen2.5 instruct models do)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel


def _cuda() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except ImportError:
        return False


pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not _cuda(), reason="needs CUDA"),
    pytest.mark.skipif(
        importlib.util.find_spec("vllm") is None and shutil.which("vllm") is None,
        reason="vllm is not installed (it lives in its own environment, see README)",
    ),
]

MODEL = os.environ.get("TESTS_VLLM_MODEL", "Qwen/Qwen2.5-1.5B-Instruct")
START_TIMEOUT_S = 600


class City(BaseModel):
    city: str
    country: str


@tool
def search_films(query: str) -> str:
    """Search the film catalog for films matching a free-text query."""
    return "Blade Runner (1982); Aliens (1986)"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def vllm_server(tmp_path_factory) -> Iterator[str]:
    port = _free_port()
    log = Path(tmp_path_factory.mktemp("vllm")) / "serve.log"
    command = [
        shutil.which("vllm") or "vllm", "serve", MODEL,
        "--host", "127.0.0.1", "--port", str(port),
        "--enable-auto-tool-choice", "--tool-call-parser", "hermes",
        "--max-model-len", "4096", "--gpu-memory-utilization", "0.5",
    ]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"vllm serve exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"vllm serve did not start: {log.read_text()[-2000:]}")
            time.sleep(2)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def llm(vllm_server, monkeypatch):
    from convrec.llm.factory import clear_llm_cache, get_llm

    monkeypatch.setenv("CONVREC_LLM_BACKEND", "openai")
    monkeypatch.setenv("CONVREC_LLM_BASE_URL", vllm_server)
    monkeypatch.setenv("CONVREC_LLM_MODEL", MODEL)
    monkeypatch.setenv("CONVREC_LLM_TIMEOUT_S", "120")
    clear_llm_cache()
    yield get_llm()
    clear_llm_cache()


def test_tool_call_round_trip(llm):
    chat = llm.chat_model.bind_tools([search_films])
    question = HumanMessage(
        "Use the search_films tool to find science-fiction films from the 1980s."
    )
    reply = chat.invoke([question], max_tokens=256)
    assert reply.tool_calls, reply
    call = reply.tool_calls[0]
    assert call["name"] == "search_films" and isinstance(call["args"].get("query"), str)
    result = ToolMessage(search_films.invoke(call["args"]), tool_call_id=call["id"])
    answer = chat.invoke([question, reply, result], max_tokens=256)
    assert not answer.tool_calls and answer.text.strip()


def test_structured_output(llm):
    city = llm.structured(
        [{"role": "user", "content": "What is the capital of France?"}], City, max_tokens=64
    )
    assert city.city == "Paris"
    assert llm._structured_method == "json_schema"
