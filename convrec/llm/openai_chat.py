"""The LangChain side of the `openai` backend: the `ChatOpenAI` it talks through, and the one
reading of a streamed reply that its sync and async loops share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from convrec.llm.http_deadline import deadline_transport
from convrec.llm.lc_messages import message_text
from convrec.llm.openai_errors import REJECTED, map_chat_error
from convrec.llm.turn_budget import TurnBudget, current_budget
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
        budget = current_budget()
        if budget is not None:  # inside a turn: no request outlives the turn's LLM budget
            own = self.request_timeout if isinstance(self.request_timeout, int | float) else None
            payload["timeout"] = budget.request_timeout(own)
        return payload

    # Every call (text, structured output, tool calling) goes through these two: inside a
    # turn they refuse to start once the endpoint failed or the budget is spent, and record
    # a failure (convrec.llm.turn_budget).

    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        budget = current_budget()
        if budget is None:
            return super()._generate(*args, **kwargs)
        with budget.call():
            try:
                return super()._generate(*args, **kwargs)
            except Exception as exc:
                _record(budget, exc, self.openai_api_base or "", self.request_timeout)
                raise

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        budget = current_budget()
        if budget is None:
            yield from super()._stream(*args, **kwargs)
            return
        with budget.call():
            try:
                yield from super()._stream(*args, **kwargs)
            except Exception as exc:
                _record(budget, exc, self.openai_api_base or "", self.request_timeout)
                raise


def _record(budget: TurnBudget, exc: BaseException, base_url: str, timeout: Any) -> None:
    """Keep a call's failure in the turn's budget; a refused request shape (HTTP 400, 404,
    ...: the caller tries another) is not a failure of the endpoint."""
    if isinstance(exc, openai.APIStatusError) and exc.status_code in REJECTED:
        return
    seconds = float(timeout) if isinstance(timeout, int | float) else 0.0
    budget.record(map_chat_error(exc, base_url, seconds))


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
    timeout (also between streamed chunks, and on each whole response: `DeadlineTransport`)
    and retries."""
    if "http_async_client" not in extra:
        extra.setdefault("http_client", deadline_client(timeout_s))
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


def deadline_client(timeout_s: float) -> Any:
    """The openai client's default httpx client, with a deadline on each whole response."""
    return openai.DefaultHttpxClient(transport=deadline_transport(), timeout=timeout_s)
