"""The `vllm` backend: in-process vLLM on a GPU, through its offline `LLM` API.

Only for machines with CUDA and the `gpu` extra (vllm pins its own torch, so it usually
lives in a separate environment); nothing here imports vllm until the backend is chosen.
`CONVREC_LLM_MODEL` names a local HF model folder (default: the embedded SmolLM2, converted
to an HF folder first). Prefix caching is on, so `score_options` pays for the shared prompt
once; options are scored with `prompt_logprobs`. `structured` uses vLLM's structured outputs
(guided JSON), so the reply always parses. The offline API does not stream: `stream` yields
the whole reply as one delta.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from convrec.config import Settings
from convrec.llm.base import BaseLlm
from convrec.llm.embedded import EMBEDDED_MODEL, ensure_embedded
from convrec.llm.json_output import first_json_object, json_instruction, with_instruction
from convrec.llm.streaming import cut_at_stop
from convrec.llm.types import (
    CancelToken,
    Health,
    LlmError,
    LlmOutputError,
    LlmUnavailable,
    Message,
    check_messages,
    one_line,
)

T = TypeVar("T", bound=BaseModel)


def vllm_unavailable_reason() -> str | None:
    """Why the vllm backend cannot run here, or None when it can."""
    if importlib.util.find_spec("vllm") is None:
        return "vllm is not installed (pip install 'convrec[gpu]' in a GPU environment)"
    try:
        import torch  # deferred: torch takes ~6 s to import; a missing one is reported
    except ImportError:
        return "torch is not installed"
    if not torch.cuda.is_available():
        return "no CUDA device"
    return None


def _structured_params(json_schema: dict[str, Any]) -> dict[str, Any]:
    """SamplingParams keyword for guided JSON, across vllm versions."""
    try:
        # deferred: optional dependency (convrec[gpu]); the name differs across vllm versions
        from vllm.sampling_params import StructuredOutputsParams

        return {"structured_outputs": StructuredOutputsParams(json=json_schema)}
    except ImportError:  # vllm < 0.11
        # deferred: optional dependency (convrec[gpu])
        from vllm.sampling_params import GuidedDecodingParams

        return {"guided_decoding": GuidedDecodingParams(json=json_schema)}


class VllmLlm(BaseLlm):
    """A model served in this process by vLLM."""

    supports_scoring = True

    def __init__(self, model: str, *, dtype: str = "auto", label: str | None = None) -> None:
        reason = vllm_unavailable_reason()
        if reason:
            raise LlmUnavailable(f"the vllm backend cannot run here: {reason}")
        from vllm import LLM  # deferred: optional dependency (convrec[gpu])

        try:
            self.engine = LLM(
                model=model,
                dtype="auto" if dtype == "auto" else dtype,
                enable_prefix_caching=True,
            )
        except Exception as exc:
            raise LlmUnavailable(f"vllm cannot load {model}: {one_line(exc, 160)}") from None
        self.tokenizer = self.engine.get_tokenizer()
        self.name = f"vllm:{label or Path(model).name}"
        self.capable = True
        self._lock = threading.Lock()
        eos = self.tokenizer.eos_token_id
        if eos is None:
            raise LlmUnavailable(f"{model} has no end-of-sequence token")
        self.end_of_turn = int(eos)

    @classmethod
    def from_settings(cls, settings: Settings) -> VllmLlm:
        reason = vllm_unavailable_reason()
        if reason:
            raise LlmUnavailable(f"the vllm backend cannot run here: {reason}")
        if settings.llm_model:
            return cls(settings.llm_model, dtype=settings.llm_dtype)

        folder = ensure_embedded(settings.llm_cache)
        return cls(str(folder), dtype=settings.llm_dtype, label=EMBEDDED_MODEL)

    # ------------------------------------------------------------------ helpers

    def prompt_ids(self, messages: Sequence[Message]) -> list[int]:
        msgs = check_messages(messages)
        text = self.tokenizer.apply_chat_template(msgs, add_generation_prompt=True, tokenize=False)
        return list(self.tokenizer(str(text), add_special_tokens=False)["input_ids"])

    def _generate(self, ids: list[int], **params: Any) -> Any:
        from vllm import SamplingParams  # deferred: optional dependency (convrec[gpu])

        try:
            with self._lock:
                outputs = self.engine.generate(
                    [{"prompt_token_ids": ids}], SamplingParams(**params), use_tqdm=False
                )
        except Exception as exc:
            raise LlmError(f"{self.name} failed: {one_line(exc, 160)}") from None
        return outputs[0]

    # ------------------------------------------------------------------ text

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 128,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
        cancel: CancelToken | None = None,
    ) -> str:
        if cancel is not None and cancel.is_set():
            return ""
        output = self._generate(
            self.prompt_ids(messages),
            max_tokens=max_tokens,
            temperature=temperature,
            stop=list(stop) if stop else None,
        )
        return cut_at_stop(output.outputs[0].text, stop)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 128,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[str]:
        text = self.complete(
            messages, max_tokens=max_tokens, temperature=temperature, stop=stop, cancel=cancel
        )
        if text:
            yield text

    # ------------------------------------------------------------------ scoring

    def score_options(
        self, messages: Sequence[Message], options: Sequence[str], *, normalize: bool = True
    ) -> list[float]:
        """Log-likelihood of each option (and the end-of-turn token) as the reply, from
        vLLM's prompt_logprobs; prefix caching computes the shared prompt once."""
        if not options:
            return []
        from vllm import SamplingParams  # deferred: optional dependency (convrec[gpu])

        prompt = self.prompt_ids(messages)
        encoded = [
            [*self.tokenizer(str(o), add_special_tokens=False)["input_ids"], self.end_of_turn]
            for o in options
        ]
        params = SamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=1)
        try:
            with self._lock:
                outputs = self.engine.generate(
                    [{"prompt_token_ids": prompt + e} for e in encoded], params, use_tqdm=False
                )
        except Exception as exc:
            raise LlmError(f"{self.name} failed to score options: {one_line(exc, 160)}") from None
        scores = []
        for tokens, output in zip(encoded, outputs, strict=True):
            per_position = output.prompt_logprobs or []
            total = 0.0
            for offset, token in enumerate(tokens):
                entry = per_position[len(prompt) + offset]
                if entry is None or token not in entry:
                    raise LlmOutputError(f"{self.name} returned no log-probability for an option")
                total += float(entry[token].logprob)
            scores.append(total / len(tokens) if normalize else total)
        return scores

    # ------------------------------------------------------------------ structured

    def complete_json(
        self,
        messages: Sequence[Message],
        json_schema: dict[str, Any] | None,
        validate: Any = None,
        *,
        max_tokens: int = 512,
    ) -> Any:
        """Guided JSON: vLLM constrains decoding to the schema; then `validate`."""
        msgs = with_instruction(messages, json_instruction(json_schema))
        schema = json_schema or {"type": "object"}
        output = self._generate(
            self.prompt_ids(msgs),
            max_tokens=max_tokens,
            temperature=0.0,
            **_structured_params(schema),
        )
        text = output.outputs[0].text
        data = first_json_object(text)
        if validate is None:
            return data
        try:
            return validate(data)
        except (ValidationError, ValueError) as exc:
            raise LlmOutputError(
                f"{self.name} returned JSON that does not fit the schema: {one_line(exc, 120)}"
            ) from None

    def structured(
        self, messages: Sequence[Message], schema: type[T], *, max_tokens: int = 512
    ) -> T:
        result = self.complete_json(
            messages, schema.model_json_schema(), schema.model_validate, max_tokens=max_tokens
        )
        return result

    def health(self) -> Health:
        start = time.perf_counter()
        try:
            self.complete([{"role": "user", "content": "Say OK."}], max_tokens=1)
        except LlmError as exc:
            return Health(False, str(exc))
        return Health(True, f"{self.name} answers", (time.perf_counter() - start) * 1000)
