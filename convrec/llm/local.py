"""The `local` backend: a small HF causal LM on the CPU with transformers.

By default it is the embedded SmolLM2-135M-Instruct (`convrec.llm.embedded`). Decoding is
greedy unless a temperature is given, streams through TextIteratorStreamer from a worker
thread, and stops within one token when cancelled or when the consumer stops iterating.
`score_options` runs the shared prompt once and the options as one right-padded batch on its
KV cache (`convrec.llm.local_scoring`); prompts that share a prefix with a recent one reuse its
KV cache (`convrec.llm.kv_cache`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from convrec.config import Settings
from convrec.llm.base import BaseLlm
from convrec.llm.embedded import EMBEDDED_MODEL, ensure_embedded
from convrec.llm.json_output import json_object_end, prompted_json
from convrec.llm.kv_cache import PrefixCache, kv_of, new_cache, plain_kv_cache
from convrec.llm.local_scoring import score_continuations
from convrec.llm.streaming import AnyEvent, StopMatcher
from convrec.llm.torch_runtime import (
    decode_threads,
    quiet_transformers,
    resolve_dtype,
    torch_threads,
)
from convrec.llm.types import (
    CancelToken,
    Health,
    LlmError,
    LlmUnavailable,
    Message,
    check_messages,
    one_line,
)

log = logging.getLogger(__name__)


class LocalLlm(BaseLlm):
    """A causal LM from a local HF folder, on the CPU."""

    supports_scoring = True

    def __init__(
        self, path: Path, *, label: str | None = None, dtype: str = "auto", threads: int = 0
    ) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer  # deferred: ~4 s to import

        self.path = Path(path)
        self.dtype = resolve_dtype(dtype)
        self.threads_setting = threads
        start = time.perf_counter()
        try:
            with quiet_transformers():
                self.tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
                self.model: Any = AutoModelForCausalLM.from_pretrained(
                    self.path, dtype=self.dtype, local_files_only=True
                )
        except (OSError, ValueError, KeyError) as exc:
            raise LlmUnavailable(
                f"cannot load the local model at {self.path}: {one_line(exc, 160)}"
            ) from None
        self.model.eval()
        self.load_seconds = time.perf_counter() - start
        self.name = f"local:{label or self.path.name}"
        self.n_params = sum(p.numel() for p in self.model.parameters())
        self.capable = self.n_params > 1_000_000_000
        self._lock = threading.RLock()  # one forward pass at a time; they use all cores anyway
        eos = self.model.generation_config.eos_token_id
        eos_ids = eos if isinstance(eos, list) else [eos] if eos is not None else []
        if self.tokenizer.eos_token_id is not None:
            eos_ids.append(self.tokenizer.eos_token_id)
        if not eos_ids:
            raise LlmUnavailable(f"the local model at {self.path} has no end-of-sequence token")
        self.end_ids: list[int] = list(dict.fromkeys(int(i) for i in eos_ids))
        self.end_of_turn = self.end_ids[0]
        pad = self.tokenizer.pad_token_id
        self.pad_id = int(pad) if pad is not None else self.end_of_turn
        self.max_context = int(getattr(self.model.config, "max_position_embeddings", 0) or 0)
        self._prefix = PrefixCache() if plain_kv_cache(self.model.config) else None

    # ------------------------------------------------------------------ tokens

    def prompt_ids(self, messages: Sequence[Message]) -> list[int]:
        """The token ids of `messages` in the chat template, ready for the assistant's reply."""
        msgs = check_messages(messages)
        if self.tokenizer.chat_template:
            text = self.tokenizer.apply_chat_template(
                msgs, add_generation_prompt=True, tokenize=False
            )
        else:  # a base model: a plain transcript
            text = "".join(f"{m['role']}: {m['content']}\n" for m in msgs) + "assistant:"
        return list(self.tokenizer(str(text), add_special_tokens=False)["input_ids"])

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _check_length(self, n_prompt: int, n_new: int) -> None:
        if self.max_context and n_prompt + n_new > self.max_context:
            raise LlmError(
                f"the prompt is {n_prompt} tokens; with {n_new} new ones it exceeds "
                f"{self.name}'s context of {self.max_context} tokens"
            )

    def threads(self) -> int:
        return decode_threads(self.threads_setting)

    # ------------------------------------------------------------------ decoding

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 128,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[str]:
        return self.stream_ids(
            self.prompt_ids(messages),
            max_tokens=max_tokens,
            temperature=temperature,
            stop=stop,
            cancel=cancel,
        )

    def stream_ids(
        self,
        ids: Sequence[int],
        *,
        max_tokens: int = 128,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
        cancel: CancelToken | None = None,
        done: Callable[[str], bool] | None = None,
    ) -> Iterator[str]:
        """Text deltas of the reply to the prompt `ids`. `done(text so far)` may end it early."""
        if max_tokens < 1:
            raise LlmError(f"max_tokens must be at least 1, got {max_tokens}")
        if temperature < 0:
            raise LlmError(f"temperature must be >= 0, got {temperature}")
        self._check_length(len(ids), max_tokens)
        return self._stream(list(ids), max_tokens, temperature, stop, cancel, done)

    def _generate_kwargs(
        self, ids: list[int], max_tokens: int, temperature: float, kv: Any, **extra: Any
    ) -> dict[str, Any]:
        """`model.generate`'s arguments for one decode of `ids` (a cached prompt prefix's
        key/values `kv`, or None): sampling at `temperature`, greedy at 0."""
        import torch  # deferred: torch takes ~6 s to import

        kwargs: dict[str, Any] = {
            "input_ids": torch.tensor([ids]),
            "attention_mask": torch.ones(1, len(ids), dtype=torch.long),
            "max_new_tokens": max_tokens,
            **extra,
            "eos_token_id": self.end_ids,
            "pad_token_id": self.pad_id,
            "return_dict_in_generate": True,
            "cache": new_cache(self.model.config, kv),
        }
        if temperature > 0:
            kwargs.update(do_sample=True, temperature=temperature, top_k=0, top_p=1.0)
        else:  # greedy; None silences warnings about the model's sampling defaults
            kwargs.update(do_sample=False, temperature=None, top_k=None, top_p=None)
        return kwargs

    def _stream(
        self,
        ids: list[int],
        max_tokens: int,
        temperature: float,
        stop: Sequence[str] | None,
        cancel: CancelToken | None,
        done: Callable[[str], bool] | None,
    ) -> Iterator[str]:
        import torch  # deferred: torch takes ~6 s to import

        # deferred: transformers takes ~4 s to import
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        halt = threading.Event()
        stopper = AnyEvent(halt, cancel)

        class _Stop(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                return torch.full((input_ids.shape[0],), stopper.is_set(), dtype=torch.bool)

        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        failure: list[BaseException] = []
        threads = self.threads()

        def work() -> None:
            try:
                with self._lock, torch_threads(threads), torch.inference_mode():
                    if stopper.is_set():
                        streamer.end()
                        return
                    n_cached, kv = (
                        self._prefix.lookup(ids, len(ids) - 1) if self._prefix else (0, None)
                    )
                    out = self.model.generate(**self._generate_kwargs(
                        ids, max_tokens, temperature, kv,
                        streamer=streamer, stopping_criteria=StoppingCriteriaList([_Stop()]),
                    ))
                    if self._prefix is not None and out.cache is not None:
                        self._prefix.add(ids, kv_of(out.cache))
                    log.debug("decoded with %d cached prompt tokens", n_cached)
            except BaseException as exc:
                failure.append(exc)
                streamer.end()

        worker = threading.Thread(target=work, name="convrec-local-decode", daemon=True)
        worker.start()
        matcher = StopMatcher(stop)
        text = ""
        try:
            for delta in streamer:
                if cancel is not None and cancel.is_set():
                    break
                piece = matcher.feed(delta)
                if piece:
                    text += piece
                    yield piece
                if matcher.stopped or (done is not None and done(text)):
                    break
            else:
                tail = matcher.flush()
                if tail and not failure:
                    yield tail
        finally:
            halt.set()
            worker.join()
        if failure:
            exc = failure[0]
            if isinstance(exc, LlmError):
                raise exc
            raise LlmError(f"{self.name} failed while decoding: {one_line(exc, 160)}") from exc

    def complete_json(
        self,
        messages: Sequence[Message],
        json_schema: dict[str, Any] | None,
        validate: Callable[[Any], Any] | None = None,
        *,
        max_tokens: int = 512,
    ) -> Any:
        """Prompted JSON. The reply is started for the model with '{"<first field>":' (a
        135M model then keeps to the format far more often than from "{" alone) and ends as
        soon as the object closes."""
        fields = list((json_schema or {}).get("properties") or {})
        opening = "{" + (json.dumps(fields[0]) + ":" if fields else "")
        opening_ids = self.tokenizer(opening, add_special_tokens=False)["input_ids"]

        def generate(msgs: list[Message], budget: int) -> str:
            ids = self.prompt_ids(msgs) + list(opening_ids)
            deltas = self.stream_ids(
                ids,
                max_tokens=budget,
                done=lambda text: json_object_end(opening + text) is not None,
            )
            return opening + "".join(deltas)

        return prompted_json(generate, messages, json_schema, validate, max_tokens=max_tokens)

    # ------------------------------------------------------------------ scoring

    def option_logprobs(
        self, messages: Sequence[Message], options: Sequence[str]
    ) -> list[tuple[float, int]]:
        """(sum of token log-probabilities, token count) of each option as the whole reply
        (its tokens and the end-of-turn token) to `messages`."""
        if not options:
            return []
        prompt = self.prompt_ids(messages)
        encoded = [
            (*self.tokenizer(str(o), add_special_tokens=False)["input_ids"], self.end_of_turn)
            for o in options
        ]
        unique = list(dict.fromkeys(encoded))
        longest = max(len(u) for u in unique)
        self._check_length(len(prompt), longest)
        with self._lock, torch_threads(self.threads()):
            scores = score_continuations(
                self.model, prompt, unique, pad_id=self.pad_id, prefix=self._prefix
            )
        by_tokens = dict(zip(unique, scores, strict=True))
        return [(by_tokens[e], len(e)) for e in encoded]

    def score_options(
        self, messages: Sequence[Message], options: Sequence[str], *, normalize: bool = True
    ) -> list[float]:
        """Log-likelihood of each option as the assistant's reply: the mean token log-probability
        (normalize=True) or the sum (normalize=False). Tokens include the end-of-turn token."""
        return [
            total / count if normalize else total
            for total, count in self.option_logprobs(messages, options)
        ]

    def health(self) -> Health:
        """A 1-token completion; while another request decodes, it reports busy at once
        instead of waiting its turn."""
        about = (
            f"{self.name} ({self.n_params / 1e6:.0f}M params, {str(self.dtype).split('.')[-1]}, "
            f"{self.threads()} threads) from {self.path}"
        )
        if not self._lock.acquire(blocking=False):
            return Health(True, f"{about}; busy decoding")
        self._lock.release()
        start = time.perf_counter()
        try:
            self.complete([{"role": "user", "content": "Say OK."}], max_tokens=1)
        except LlmError as exc:
            return Health(False, str(exc))
        return Health(True, about, (time.perf_counter() - start) * 1000)


def load_local_llm(settings: Settings) -> LocalLlm:
    """The local LLM the settings name: a local HF folder, or the embedded SmolLM2."""
    if settings.llm_model:
        folder = Path(settings.llm_model).expanduser()
        if not (folder / "config.json").is_file():
            raise LlmUnavailable(
                f"CONVREC_LLM_MODEL={settings.llm_model} is not a local HF model folder "
                "(no config.json there); the local backend loads no models from a hub"
            )
        return LocalLlm(folder, dtype=settings.llm_dtype, threads=settings.llm_threads)
    folder = ensure_embedded(settings.llm_cache)
    return LocalLlm(
        folder, label=EMBEDDED_MODEL, dtype=settings.llm_dtype, threads=settings.llm_threads
    )
