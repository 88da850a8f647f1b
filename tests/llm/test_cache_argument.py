"""The embedded model passes its KV cache as `cache` (transformers deprecates
`past_key_values`: removed from `forward` in 5.40, from `generate` in 6.0), and decodes exactly
as it did with `past_key_values`: the expected values below were recorded before the change,
with one thread (more threads change the float reduction order, not the code path)."""

from __future__ import annotations

import warnings

import pytest

PROMPT = [
    {
        "role": "system",
        "content": "You are a helpful film assistant. Keep answers short and precise, and do "
        "not invent facts.",
    },
    {
        "role": "user",
        "content": "Recommend a science-fiction film from the 1980s and say why in one sentence.",
    },
]
# Recorded with `past_key_values` (transformers 5.25.0, one thread, greedy).
BEFORE_TEXT = (
    'The 1980s film "The Matrix" by George Lucas is a classic example of a science-fantasy '
    "film that explores the intersection of technology and humanity."
)
BEFORE_MEAN = [-3.234476089477539, -7.179595311482747, -5.130619525909424, -4.835746002197266]
BEFORE_SUM = [-16.172380447387695, -21.538785934448242]
OPTIONS = ["Blade Runner", "Aliens", "The Terminator", "Back to the Future"]


@pytest.fixture
def one_thread(local_llm, monkeypatch):
    monkeypatch.setattr(local_llm, "threads_setting", 1)
    local_llm._prefix.clear()
    return local_llm


def test_decoding_is_unchanged_and_warns_nothing(one_thread):
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # past_key_values would warn
        first = one_thread.complete(PROMPT, max_tokens=40)
        again = one_thread.complete(PROMPT, max_tokens=40)  # the prompt's KV from the cache
    assert first == BEFORE_TEXT
    assert again == BEFORE_TEXT


def test_scoring_is_unchanged_and_warns_nothing(one_thread):
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        mean = one_thread.score_options(PROMPT, OPTIONS)
        total = one_thread.score_options(PROMPT, OPTIONS[:2], normalize=False)
    assert mean == pytest.approx(BEFORE_MEAN, abs=1e-4)
    assert total == pytest.approx(BEFORE_SUM, abs=1e-4)
    assert max(range(len(OPTIONS)), key=mean.__getitem__) == 0


def test_no_module_passes_past_key_values():
    from pathlib import Path

    import convrec.llm

    folder = Path(convrec.llm.__file__).parent
    assert not [p.name for p in folder.glob("*.py") if "past_key_values" in p.read_text()]
