"""The openai backend against real HTTP servers: `convrec llm serve`'s server over the embedded
model, and a small misbehaving stdlib server for the failure modes."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from pydantic import BaseModel

from convrec.config import get_settings
from convrec.llm.embedded import EMBEDDED_MODEL
from convrec.llm.factory import clear_llm_cache, get_llm
from convrec.llm.openai_api import OpenAiLlm
from convrec.llm.types import LlmError, LlmOutputError, LlmUnavailable
from tests.agent.conftest import free_port

CAPITAL = [{"role": "user", "content": "What is the capital of France? Answer in one sentence."}]


class City(BaseModel):
    city: str
    country: str


def client(base_url: str, **overrides) -> OpenAiLlm:
    options = {"timeout_s": 10.0, "max_retries": 0, **overrides}
    return OpenAiLlm(base_url=base_url, **options)


def assert_one_line(exc: BaseException) -> str:
    text = str(exc)
    assert text and "\n" not in text and "Traceback" not in text
    return text


# ----------------------------------------------------------------------------- the real server


def test_get_llm_builds_the_openai_backend_from_settings(openai_server, monkeypatch):
    monkeypatch.setenv("CONVREC_LLM_BACKEND", "openai")
    monkeypatch.setenv("CONVREC_LLM_BASE_URL", openai_server)
    llm = get_llm()
    assert get_llm() is llm
    assert llm.capable and not llm.supports_scoring
    assert llm.model == EMBEDDED_MODEL  # the one the server lists
    assert llm.name == f"openai:{EMBEDDED_MODEL}@{openai_server}"
    clear_llm_cache()
    assert get_llm() is not llm


def test_health(openai_server):
    state = client(openai_server).health()
    assert state.ok, state.detail
    assert EMBEDDED_MODEL in state.detail and state.latency_ms is not None


def test_complete_matches_the_local_model(openai_server, local_llm):
    llm = client(openai_server)
    text = llm.complete(CAPITAL, max_tokens=16)
    assert "Paris" in text
    assert text == local_llm.complete(CAPITAL, max_tokens=16)
    assert "Paris" not in llm.complete(CAPITAL, max_tokens=16, stop=["Paris"])


def test_stream(openai_server, local_llm):
    deltas = list(client(openai_server).stream(CAPITAL, max_tokens=16))
    assert len(deltas) > 1
    assert "".join(deltas) == local_llm.complete(CAPITAL, max_tokens=16)


def test_astream(openai_server, local_llm):
    async def collect() -> list[str]:
        return [d async for d in client(openai_server).astream(CAPITAL, max_tokens=16)]

    assert "".join(asyncio.run(collect())) == local_llm.complete(CAPITAL, max_tokens=16)


def test_structured_uses_the_json_schema(openai_server):
    llm = client(openai_server)
    city = llm.structured(
        [{"role": "user", "content": "What is the capital of France?"}], City, max_tokens=32
    )
    assert isinstance(city, City) and city.city == "Paris"
    assert llm._structured_method == "json_schema"


def test_scoring_is_not_offered(openai_server):
    with pytest.raises(LlmError, match="cannot score options"):
        client(openai_server).score_options(CAPITAL, ["Paris", "Rome"])


# ----------------------------------------------------------------------------- the protocol


def test_models_and_health_routes(openai_server):
    root = openai_server.removesuffix("/v1")
    models = httpx.get(f"{openai_server}/models").json()
    assert models["object"] == "list" and models["data"][0]["id"] == EMBEDDED_MODEL
    health = httpx.get(f"{root}/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"


def test_plain_completion_shape(openai_server):
    reply = httpx.post(
        f"{openai_server}/chat/completions",
        json={"model": "anything", "messages": CAPITAL, "max_tokens": 8},
        timeout=60,
    )
    assert reply.status_code == 200
    body = reply.json()
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["role"] == "assistant"
    assert body["usage"]["completion_tokens"] <= 8
    assert body["choices"][0]["finish_reason"] in ("stop", "length")


def test_sse_stream_shape(openai_server):
    with httpx.stream(
        "POST",
        f"{openai_server}/chat/completions",
        json={"messages": CAPITAL, "max_tokens": 8, "stream": True},
        timeout=60,
    ) as reply:
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/event-stream")
        events = [line for line in reply.iter_lines() if line]
    assert all(line.startswith("data: ") for line in events)
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(line[6:]) for line in events[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks).strip()


def test_json_object_response_format(openai_server):
    reply = httpx.post(
        f"{openai_server}/chat/completions",
        json={
            "messages": [{"role": "user", "content": "What is the capital of France?"}],
            "max_tokens": 24,
            "response_format": {"type": "json_object"},
        },
        timeout=60,
    )
    assert isinstance(json.loads(reply.json()["choices"][0]["message"]["content"]), dict)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"messages": []}, "non-empty list"),
        ({"messages": [{"role": "tool", "content": "x"}]}, "not supported"),
        ({"messages": CAPITAL, "temperature": 9}, "temperature"),
        ({"messages": CAPITAL, "tools": [{"type": "function"}]}, "tools"),
        ({"messages": CAPITAL, "response_format": {"type": "yaml"}}, "yaml"),
    ],
)
def test_bad_requests_get_400(openai_server, body, fragment):
    reply = httpx.post(f"{openai_server}/chat/completions", json=body, timeout=30)
    assert reply.status_code == 400
    assert fragment in reply.json()["error"]["message"]


def test_not_json_and_unknown_routes(openai_server):
    reply = httpx.post(f"{openai_server}/chat/completions", content=b"{nope", timeout=30)
    assert reply.status_code == 400 and "not valid JSON" in reply.json()["error"]["message"]
    assert httpx.get(f"{openai_server}/nothing").status_code == 404


def test_a_client_hanging_up_stops_decoding(openai_server, local_llm):
    with httpx.stream(
        "POST",
        f"{openai_server}/chat/completions",
        json={
            "messages": [{"role": "user", "content": "Write a long story about a dragon."}],
            "max_tokens": 400,
            "stream": True,
        },
        timeout=60,
    ) as reply:
        for line in reply.iter_lines():
            if '"content": "' in line and '"content": ""' not in line:
                break  # one real delta, then hang up
    assert local_llm._lock.acquire(timeout=10), "the server kept decoding"
    local_llm._lock.release()


# ----------------------------------------------------------------------------- failures


def test_endpoint_down_is_one_line():
    url = f"http://127.0.0.1:{free_port()}/v1"
    llm = client(url, model="m")
    with pytest.raises(LlmUnavailable) as info:
        llm.complete(CAPITAL, max_tokens=4)
    message = assert_one_line(info.value)
    assert message == f"cannot reach the LLM endpoint at {url}: connection refused"
    with pytest.raises(LlmUnavailable, match="connection refused"):
        list(llm.stream(CAPITAL, max_tokens=4))
    state = llm.health()
    assert not state.ok and "connection refused" in state.detail


def test_endpoint_down_without_a_model_name():
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(LlmUnavailable, match="connection refused"):
        client(url).complete(CAPITAL)


def test_retries_then_gives_up(openai_server):
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(LlmUnavailable, match="connection refused"):
        client(url, model="m", max_retries=1).complete(CAPITAL)


def test_timeout_is_unavailable(stub_server):
    llm = client(f"{stub_server}/slow/v1", model="m", timeout_s=0.5)
    with pytest.raises(LlmUnavailable, match=r"did not answer within 0\.5 s") as info:
        llm.complete(CAPITAL)
    assert_one_line(info.value)
    assert not llm.health().ok


def test_http_error_is_unavailable(stub_server):
    with pytest.raises(LlmUnavailable, match="returned HTTP 500: the model crashed") as info:
        client(f"{stub_server}/error500/v1", model="m").complete(CAPITAL)
    assert_one_line(info.value)


@pytest.mark.parametrize("mode", ["text", "wrongjson"])
def test_garbage_is_an_output_error(stub_server, mode):
    llm = client(f"{stub_server}/{mode}/v1", model="m")
    with pytest.raises(LlmOutputError, match="not a chat completion") as info:
        llm.complete(CAPITAL)
    assert_one_line(info.value)


def test_garbage_stream_is_an_output_error(stub_server):
    with pytest.raises(LlmOutputError) as info:
        list(client(f"{stub_server}/badstream/v1", model="m").stream(CAPITAL))
    assert_one_line(info.value)


def test_garbage_model_list_fails_health(stub_server):
    state = client(f"{stub_server}/text/v1").health()
    assert not state.ok and "\n" not in state.detail


def test_schema_invalid_output_is_an_output_error(stub_server):
    with pytest.raises(LlmOutputError, match="does not fit City") as info:
        client(f"{stub_server}/notschema/v1", model="m").structured(CAPITAL, City)
    assert_one_line(info.value)


def test_structured_falls_back_to_function_calling(stub_server):
    llm = client(f"{stub_server}/picky/v1", model="m")
    city = llm.structured(CAPITAL, City)
    assert city == City(city="Paris", country="France")
    assert llm._structured_method == "function_calling"
    assert llm.structured(CAPITAL, City) == city  # straight to the method that worked


def test_no_key_for_the_official_api(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(LlmUnavailable, match="CONVREC_LLM_API_KEY"):
        OpenAiLlm.from_settings(get_settings(llm_backend="openai"))
