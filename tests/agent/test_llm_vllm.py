"""The vllm backend: in-process vLLM on a GPU. Skips where vllm or CUDA is missing."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from convrec.llm.factory import get_llm
from convrec.llm.types import LlmUnavailable
from convrec.llm.vllm_engine import vllm_unavailable_reason

REASON = vllm_unavailable_reason()
needs_vllm = pytest.mark.skipif(REASON is not None, reason=f"vllm backend: {REASON}")
CAPITAL = [{"role": "user", "content": "What is the capital of France? Answer in one sentence."}]


class City(BaseModel):
    city: str
    country: str


@pytest.mark.skipif(REASON is None, reason="vllm can run here")
def test_choosing_vllm_without_it_is_one_line():
    with pytest.raises(LlmUnavailable, match="the vllm backend cannot run here") as info:
        get_llm(backend="vllm")
    assert "\n" not in str(info.value)


@pytest.fixture(scope="module")
def vllm_llm():
    return get_llm(backend="vllm")


@pytest.mark.gpu
@needs_vllm
def test_complete_and_stream(vllm_llm):
    text = vllm_llm.complete(CAPITAL, max_tokens=16)
    assert "Paris" in text
    assert "".join(vllm_llm.stream(CAPITAL, max_tokens=16)) == text


@pytest.mark.gpu
@needs_vllm
def test_score_options(vllm_llm):
    scores = vllm_llm.score_options(CAPITAL, ["Paris.", "London.", "Berlin."], normalize=False)
    assert scores[0] == max(scores)
    means = vllm_llm.score_options(CAPITAL, ["Paris.", "London.", "Berlin."])
    assert all(m >= s for m, s in zip(means, scores, strict=True))


@pytest.mark.gpu
@needs_vllm
def test_structured_is_guided(vllm_llm):
    city = vllm_llm.structured(
        [{"role": "user", "content": "What is the capital of France?"}], City, max_tokens=48
    )
    assert isinstance(city, City)
