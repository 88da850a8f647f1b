"""The backend the settings choose (`CONVREC_LLM_BACKEND`: local, openai or vllm), created
once per (backend, model, endpoint) and shared between threads."""

from __future__ import annotations

import threading
from typing import Any

from convrec.config import Settings, get_settings
from convrec.llm.local import load_local_llm
from convrec.llm.openai_api import OpenAiLlm
from convrec.llm.types import Llm, LlmError
from convrec.llm.vllm_engine import VllmLlm

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
        return load_local_llm(settings)
    if backend == "openai":
        return OpenAiLlm.from_settings(settings)

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
