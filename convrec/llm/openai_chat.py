"""The LangChain side of the `openai` backend: the `ChatOpenAI` it talks through, and the one
reading of a streamed reply that its sync and async loops share."""

from __future__ import annotations

from typing import Any

from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from convrec.llm.lc_messages import message_text
from convrec.llm.openai_errors import map_chat_error
from convrec.llm.types import CancelToken, LlmError, LlmOutputError, one_line


class EndpointChatOpenAI(ChatOpenAI):
    """`ChatOpenAI` that can send the reply budget as ``max_tokens``: every OpenAI-compatible
    server knows it, while only newer ones know ``max_completion_tokens`` (which the official
    API wants, and `ChatOpenAI` always sends)."""

    legacy_max_tokens: bool = False

    def _get_request_payload(
        self, input_: Any, *, stop: list[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)
        if self.legacy_max_tokens and "max_completion_tokens" in payload:
            payload["max_tokens"] = payload.pop("max_completion_tokens")
        return payload


def build_chat_openai(
    *,
    base_url: str,
    model: str,
    api_key: str,
    timeout_s: float,
    max_retries: int,
    official: bool,
    **extra: Any,
) -> EndpointChatOpenAI:
    """The chat model for an endpoint: greedy unless a call says otherwise, the settings'
    timeout (also between streamed chunks) and retries."""
    return EndpointChatOpenAI(
        model=model,
        base_url=base_url,
        api_key=SecretStr(api_key),
        timeout=timeout_s,
        max_retries=max_retries,
        temperature=0.0,
        stream_chunk_timeout=timeout_s,
        legacy_max_tokens=not official,
        **extra,
    )


class StreamReader:
    """One streamed reply as text deltas: what the sync and async loops share (cancellation,
    each chunk's text, the check that the stream said anything, one-line errors)."""

    def __init__(self, base_url: str, timeout_s: float, cancel: CancelToken | None) -> None:
        self.base_url = base_url
        self.timeout_s = timeout_s
        self.cancel = cancel
        self.events = 0

    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def text(self, chunk: Any) -> str:
        """The text a chunk adds ("" for e.g. a final usage-only chunk)."""
        self.events += 1
        if not hasattr(chunk, "content"):
            raise LlmOutputError(
                f"the LLM endpoint at {self.base_url} streamed something that is not a "
                f"chat-completion chunk: {one_line(chunk, 100)!r}"
            )
        return message_text(chunk)

    def finish(self) -> None:
        if self.events == 0:
            raise LlmOutputError(
                f"the LLM endpoint at {self.base_url} ended the stream without any event"
            )

    def error(self, exc: BaseException) -> LlmError:
        return map_chat_error(exc, self.base_url, self.timeout_s)
