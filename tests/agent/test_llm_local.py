"""The local backend with the real embedded SmolLM2-135M-Instruct (converted once a session)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Literal

import pytest
import torch
from pydantic import BaseModel, Field

from convrec.llm.embedded import (
    EMBEDDED_MODEL,
    MARKER,
    convert_gguf,
    embedded_gguf,
    ensure_embedded,
    is_converted,
)
from convrec.llm.factory import get_llm
from convrec.llm.local import LocalLlm
from convrec.llm.torch_runtime import decode_threads, torch_threads
from convrec.llm.types import Llm, LlmError, LlmOutputError, LlmUnavailable

CAPITAL = [{"role": "user", "content": "What is the capital of France? Answer in one sentence."}]


def test_the_embedded_model_is_found_without_importing_its_package():
    path = embedded_gguf()
    assert path.name.endswith(".gguf") and path.stat().st_size > 50_000_000


def test_conversion_is_cached_once_per_session(local_llm, llm_cache_dir):
    folder = llm_cache_dir / EMBEDDED_MODEL
    assert (folder / MARKER).is_file() and (folder / "config.json").is_file()
    assert is_converted(folder, embedded_gguf())
    assert not [p for p in llm_cache_dir.iterdir() if ".tmp-" in p.name]  # no leftovers
    start = time.perf_counter()
    assert ensure_embedded(llm_cache_dir) == folder  # no second conversion
    assert time.perf_counter() - start < 1.0
    assert local_llm.name == f"local:{EMBEDDED_MODEL}"
    assert isinstance(local_llm, Llm)
    assert local_llm.supports_scoring and not local_llm.capable


def test_get_llm_reuses_the_loaded_model(local_llm):
    assert get_llm() is local_llm  # default settings, this test's own CONVREC_HOME
    assert get_llm(backend="local") is local_llm


def test_unknown_backend_is_one_line():
    with pytest.raises(LlmError, match="unknown LLM backend 'nope'"):
        get_llm(backend="nope")


def test_a_half_written_folder_is_not_a_model(tmp_path):
    half = tmp_path / EMBEDDED_MODEL
    half.mkdir()
    (half / "config.json").write_text("{}")  # killed before the marker was written
    assert not is_converted(half, embedded_gguf())


def test_a_failed_conversion_leaves_nothing_behind(tmp_path):
    bogus = tmp_path / "src" / "broken.gguf"
    bogus.parent.mkdir()
    bogus.write_bytes(b"GGUF but not really")
    dest = tmp_path / "models" / "broken"
    with pytest.raises(LlmUnavailable, match=r"cannot convert broken\.gguf"):
        convert_gguf(bogus, dest)
    assert not dest.exists()
    assert [p.name for p in dest.parent.iterdir()] == [".broken.lock"]


def test_a_missing_local_model_folder_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVREC_LLM_MODEL", str(tmp_path / "nowhere"))
    with pytest.raises(LlmUnavailable, match="not a local HF model folder") as info:
        get_llm()
    assert "\n" not in str(info.value)


def test_complete_is_greedy_and_sensible(local_llm):
    first = local_llm.complete(CAPITAL, max_tokens=16)
    assert "Paris" in first
    assert local_llm.complete(CAPITAL, max_tokens=16) == first


def test_stream_yields_deltas_that_add_up_to_complete(local_llm):
    deltas = list(local_llm.stream(CAPITAL, max_tokens=16))
    assert len(deltas) > 1
    assert "".join(deltas) == local_llm.complete(CAPITAL, max_tokens=16)


def test_stop_strings_cut_the_reply(local_llm):
    text = local_llm.complete(CAPITAL, max_tokens=16, stop=["Paris"])
    assert "Paris" not in text
    assert text.strip() and text.startswith("The capital")


def test_sampling_with_a_temperature_runs(local_llm):
    text = local_llm.complete(CAPITAL, max_tokens=8, temperature=0.8)
    assert isinstance(text, str)


def test_a_cancel_event_stops_decoding(local_llm):
    cancel = threading.Event()
    deltas = []
    for delta in local_llm.stream(
        [{"role": "user", "content": "Write a long story about a dragon."}],
        max_tokens=200,
        cancel=cancel,
    ):
        deltas.append(delta)
        cancel.set()
    assert 1 <= len(deltas) <= 2


def test_leaving_the_stream_stops_decoding(local_llm):
    stream = local_llm.stream(
        [{"role": "user", "content": "Write a long story about a dragon."}], max_tokens=400
    )
    next(iter(stream))
    start = time.perf_counter()
    stream.close()  # what `break` out of a for loop does
    assert local_llm._lock.acquire(timeout=5), "decoding did not stop"
    local_llm._lock.release()
    assert time.perf_counter() - start < 5


def test_astream_matches_stream(local_llm):
    async def collect() -> list[str]:
        return [d async for d in local_llm.astream(CAPITAL, max_tokens=16)]

    deltas = asyncio.run(collect())
    assert "".join(deltas) == local_llm.complete(CAPITAL, max_tokens=16)


def test_leaving_astream_early_stops_decoding(local_llm):
    async def first_only() -> str:
        stream = local_llm.astream(
            [{"role": "user", "content": "Write a long story about a dragon."}], max_tokens=400
        )
        async for delta in stream:
            await stream.aclose()
            return delta
        return ""

    assert asyncio.run(first_only())
    assert local_llm._lock.acquire(timeout=5), "decoding did not stop"
    local_llm._lock.release()


def test_bad_messages_are_one_line(local_llm):
    with pytest.raises(LlmError, match="message 0 must be"):
        local_llm.complete([{"role": "wizard", "content": "hi"}])
    with pytest.raises(LlmError, match="no messages"):
        local_llm.complete([])
    with pytest.raises(LlmError, match="max_tokens"):
        local_llm.complete(CAPITAL, max_tokens=0)


def test_health(local_llm):
    state = local_llm.health()
    assert state.ok and state.latency_ms is not None
    assert EMBEDDED_MODEL in state.detail


def test_decode_threads():
    assert decode_threads(3) == 3
    assert decode_threads(0) >= 1


# ----------------------------------------------------------------------------- scoring


def naive_option_logprobs(llm: LocalLlm, messages, option: str) -> tuple[float, int]:
    """One full forward pass over the whole conversation, reply included, as the chat
    template writes it: the sum of the reply's token log-probabilities (end token included)."""
    prompt = llm.prompt_ids(messages)
    text = llm.tokenizer.apply_chat_template(
        [*messages, {"role": "assistant", "content": option}], tokenize=False
    )
    full = llm.tokenizer(text, add_special_tokens=False)["input_ids"]
    assert full[: len(prompt)] == prompt
    reply = full[len(prompt) :]
    reply = reply[: reply.index(llm.end_of_turn) + 1]
    with torch.inference_mode(), torch_threads(llm.threads()):
        logits = llm.model(input_ids=torch.tensor([prompt + reply])).logits[0].float()
    logprobs = torch.log_softmax(logits, dim=-1)
    total = sum(float(logprobs[len(prompt) - 1 + i, t]) for i, t in enumerate(reply))
    return total, len(reply)


SCORE_MESSAGES = [
    {"role": "system", "content": "You plan tool calls for a movie recommender. " * 4},
    {"role": "user", "content": "Something like Alien but funnier, no horror."},
]
SCORE_OPTIONS = [
    '{"tool": "search", "args": {"query": "funny science fiction", "exclude": ["Horror"]}}',
    '{"tool": "search", "args": {"query": "alien comedy"}}',
    '{"tool": "ask", "args": {"slot": "era"}}',
    "recommend",
    "chit-chat",
]


@pytest.fixture(scope="module")
def local_llm_fp32(local_llm):
    """The same model in float32, where batching cannot change the numbers beyond rounding."""
    return LocalLlm(local_llm.path, label=EMBEDDED_MODEL, dtype="float32")


def test_score_options_agrees_with_a_naive_forward_pass(local_llm_fp32):
    llm = local_llm_fp32
    got_sum = llm.score_options(SCORE_MESSAGES, SCORE_OPTIONS, normalize=False)
    got_mean = llm.score_options(SCORE_MESSAGES, SCORE_OPTIONS)  # prompt KV now reused
    for option, total, mean in zip(SCORE_OPTIONS, got_sum, got_mean, strict=True):
        want, count = naive_option_logprobs(llm, SCORE_MESSAGES, option)
        assert total == pytest.approx(want, abs=2e-3), option
        assert mean == pytest.approx(want / count, abs=2e-4), option


def test_score_options_in_the_default_dtype_is_close(local_llm):
    """bfloat16 rounds differently in a batch than in one sequence (~0.1 nat a token), but
    the choice stays the same."""
    got = local_llm.score_options(SCORE_MESSAGES, SCORE_OPTIONS)
    want = []
    for option, mean in zip(SCORE_OPTIONS, got, strict=True):
        total, count = naive_option_logprobs(local_llm, SCORE_MESSAGES, option)
        want.append(total / count)
        assert mean == pytest.approx(want[-1], abs=0.25), option
    assert got.index(max(got)) == want.index(max(want))


def test_score_options_prefers_the_right_answer(local_llm):
    scores = local_llm.score_options(CAPITAL, ["Paris.", "London.", "Berlin."], normalize=False)
    assert scores[0] == max(scores)


def test_score_options_edge_cases(local_llm):
    assert local_llm.score_options(CAPITAL, []) == []
    twice = local_llm.score_options(CAPITAL, ["Paris.", "Paris.", "Rome."])
    assert twice[0] == twice[1]
    single = local_llm.score_options(CAPITAL, ["Paris."])
    assert single[0] == pytest.approx(twice[0], abs=0.05)


# ----------------------------------------------------------------------------- structured


class City(BaseModel):
    city: str
    country: str


class Act(BaseModel):
    act: Literal["ask", "recommend", "answer", "chitchat"]


def test_structured_returns_the_schema(local_llm):
    city = local_llm.structured(
        [{"role": "user", "content": "What is the capital of France?"}], City, max_tokens=32
    )
    assert isinstance(city, City) and city.city == "Paris"
    act = local_llm.structured(
        [{"role": "user", "content": "User: hi there, how are you? Which dialogue act fits?"}],
        Act,
        max_tokens=16,
    )
    assert isinstance(act, Act)


class Impossible(BaseModel):
    code: str = Field(pattern=r"^ZQ\d{12}$", description="an internal code")


def test_structured_gives_up_with_a_one_line_error(local_llm):
    with pytest.raises(LlmOutputError, match="no valid JSON after one repair") as info:
        local_llm.structured(
            [{"role": "user", "content": "Give me the code."}], Impossible, max_tokens=24
        )
    assert "\n" not in str(info.value)



def test_the_benchmark_runs(local_llm, tmp_path):
    from convrec.config import get_settings
    from convrec.llm.bench import bench_markdown, run_llm_bench

    results = run_llm_bench(
        get_settings(), repeats=1, tokens=8, conversion=False, dtypes=("bfloat16",), threads=(1,)
    )
    assert 250 <= results["prompt_tokens"] <= 350
    assert all(30 <= n <= 45 for n in results["option_tokens"])
    run = results["runs"][0]
    assert run["decode_tok_s"] > 0 and run["score10_s"] > 0
    assert "| bfloat16 | 1 |" in bench_markdown(results)
