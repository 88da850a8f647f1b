"""Errors from an OpenAI-compatible endpoint as one-line `LlmError`s: what the openai client
and httpx raise, mapped to `LlmUnavailable` (cannot answer) or `LlmOutputError` (garbage)."""

from __future__ import annotations

import json
from typing import Any

from convrec.llm.types import LlmError, LlmOutputError, LlmUnavailable, one_line

REJECTED = {400, 404, 405, 415, 422, 501}  # statuses that mean "not this way": try the next


class Rejected(Exception):
    """The server refused a request shape (e.g. response_format); carries the mapped error."""

    def __init__(self, error: LlmError) -> None:
        super().__init__(str(error))
        self.error = error


def root_reason(exc: BaseException) -> str:
    """Why a connection failed, in a few words."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    for item in seen:
        if isinstance(item, ConnectionRefusedError) or "connection refused" in str(item).lower():
            return "connection refused"
    for item in seen:
        text = str(item).lower()
        if "name or service not known" in text or "nodename nor servname" in text:
            return "unknown host"
        if "connection reset" in text:
            return "connection reset"
    innermost = seen[-1]
    return one_line(f"{type(innermost).__name__}: {innermost}", 120)


def status_detail(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        if message:
            return one_line(message, 160)
    response = getattr(exc, "response", None)
    text = getattr(response, "text", "") if response is not None else ""
    return one_line(text or getattr(exc, "message", "") or "no details", 160)


def map_openai_error(exc: BaseException, base_url: str, timeout_s: float) -> LlmError:
    """One-line LlmError for anything the openai client or httpx raised while talking to the
    endpoint at `base_url`."""
    import httpx  # deferred: httpx takes ~0.5 s to import
    import openai  # deferred: openai takes ~3 s to import

    where = f"the LLM endpoint at {base_url}"
    if isinstance(exc, LlmError):
        return exc
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
        return LlmUnavailable(f"{where} did not answer within {timeout_s:g} s")
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError):
        return LlmUnavailable(f"cannot reach {where}: {root_reason(exc)}")
    if isinstance(exc, openai.APIResponseValidationError):
        return LlmOutputError(f"{where} returned a malformed response: {one_line(exc, 120)}")
    if isinstance(exc, openai.APIStatusError):
        return LlmUnavailable(f"{where} returned HTTP {exc.status_code}: {status_detail(exc)}")
    if isinstance(exc, openai.APIError):  # an error event inside a stream
        return LlmUnavailable(f"{where} reported an error: {one_line(exc.message, 160)}")
    if isinstance(exc, ValueError):  # json.JSONDecodeError included
        return LlmOutputError(f"{where} sent something that is not JSON: {one_line(exc, 120)}")
    return LlmError(f"{where}: {type(exc).__name__}: {one_line(exc, 160)}")


def map_chat_error(exc: BaseException, base_url: str, timeout_s: float) -> LlmError:
    """One-line LlmError for anything `ChatOpenAI` raised while talking to the endpoint at
    `base_url`: the openai client's errors as `map_openai_error` maps them, and the errors
    LangChain raises itself (a body that is not a chat completion, a stream without chunks,
    no chunk within the stream timeout)."""
    import httpx  # deferred: httpx takes ~0.5 s to import
    import openai  # deferred: openai takes ~3 s to import

    where = f"the LLM endpoint at {base_url}"
    if isinstance(exc, LlmError):
        return exc
    if isinstance(exc, openai.OpenAIError | httpx.HTTPError | json.JSONDecodeError):
        return map_openai_error(exc, base_url, timeout_s)
    if isinstance(exc, TimeoutError):  # langchain-openai's StreamChunkTimeoutError
        return LlmUnavailable(f"{where} did not answer within {timeout_s:g} s")
    if "No generation chunks were returned" in str(exc):
        return LlmOutputError(f"{where} ended the stream without any event")
    if isinstance(exc, ValueError | KeyError | TypeError | AttributeError | IndexError):
        return LlmOutputError(
            f"{where} returned something that is not a chat completion: {one_line(exc, 100)}"
        )
    return map_openai_error(exc, base_url, timeout_s)
