"""What every language model here speaks: chat messages, one-line errors, health, and the
`Llm` protocol the agent depends on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

from convrec.errors import ConvrecError

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
    """What the agent needs from a language model. The backends here also answer
    `chat_model`, the model as a LangChain `BaseChatModel` (`convrec.llm.base.BaseLlm`); it
    is not part of this protocol, so a caller reads it with `getattr(llm, "chat_model", None)`."""

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


# --------------------------------------------------------------------------- messages


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
