"""The `openai` backend: any OpenAI-compatible chat-completions endpoint, through the openai
client (OpenAI, `vllm serve`, Ollama, llama.cpp's server, or `convrec llm serve`).

Structured output tries, in order, and remembers the first the server accepts: JSON schema
(`response_format` json_schema), function calling (a forced tool call), JSON mode
(json_object) and plain prompting; the reply is always validated with pydantic.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from convrec.agent.llm import (
    BaseLlm,
    CancelToken,
    Health,
    LlmError,
    LlmOutputError,
    LlmUnavailable,
    Message,
    check_messages,
    one_line,
)
from convrec.config import Settings

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)
OPENAI_URL = "https://api.openai.com/v1"
OPENAI_DEFAULT_MODEL = "gpt-4o-mini"
DUMMY_KEY = "not-needed"  # local servers want no key, but the client insists on one
REJECTED = {400, 404, 405, 415, 422, 501}  # statuses that mean "not this way": try the next
STRUCTURED_METHODS = ("json_schema", "function_calling", "json_mode", "prompt")


class _Rejected(Exception):
    """The server refused a request shape (e.g. response_format); carries the mapped error."""

    def __init__(self, error: LlmError) -> None:
        super().__init__(str(error))
        self.error = error


def _root_reason(exc: BaseException) -> str:
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


def _status_detail(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        if message:
            return one_line(message, 160)
    response = getattr(exc, "response", None)
    text = getattr(response, "text", "") if response is not None else ""
    return one_line(text or getattr(exc, "message", "") or "no details", 160)


class OpenAiLlm(BaseLlm):
    """An OpenAI-compatible endpoint."""

    supports_scoring = False
    capable = True

    def __init__(
        self,
        *,
        base_url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 30.0,
        max_retries: int = 2,
    ) -> None:
        import openai

        self.base_url = (base_url or OPENAI_URL).rstrip("/")
        official = self.base_url == OPENAI_URL
        key = api_key or (os.environ.get("OPENAI_API_KEY") if official else None)
        if not key and official:
            raise LlmUnavailable(
                "no API key for api.openai.com: set CONVREC_LLM_API_KEY, or point "
                "CONVREC_LLM_BASE_URL at a local OpenAI-compatible server"
            )
        self.api_key = key or DUMMY_KEY
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self._model = model or (OPENAI_DEFAULT_MODEL if official else None)
        # The official API wants max_completion_tokens (newer models reject max_tokens);
        # compatible servers all know max_tokens.
        self._tokens_field = "max_completion_tokens" if official else "max_tokens"
        self.client = openai.OpenAI(
            base_url=self.base_url,
            api_key=self.api_key,
            timeout=timeout_s,
            max_retries=max_retries,
        )
        self._structured_method: str | None = None
        self.name = f"openai:{self._model or 'served-model'}@{self.base_url}"
        for noisy in ("openai", "httpx"):  # a line per request and per retry at INFO
            logger = logging.getLogger(noisy)
            if logger.level == logging.NOTSET:
                logger.setLevel(logging.WARNING)

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAiLlm:
        return cls(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
            timeout_s=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
        )

    # ------------------------------------------------------------------ plumbing

    @property
    def model(self) -> str:
        """The model named in the settings, else the first one the endpoint lists."""
        if self._model is None:
            ids = self._list_models(self.client)
            if not ids:
                raise LlmUnavailable(
                    f"the LLM endpoint at {self.base_url} lists no models: set CONVREC_LLM_MODEL"
                )
            self._model = ids[0]
            self.name = f"openai:{self._model}@{self.base_url}"
        return self._model

    def _list_models(self, client: Any) -> list[str]:
        import openai

        try:
            page = client.models.list()
            return [str(m.id) for m in page.data]
        except openai.OpenAIError as exc:
            raise self.map_error(exc) from None
        except (AttributeError, TypeError, ValueError) as exc:
            raise LlmOutputError(
                f"the LLM endpoint at {self.base_url} answered /models with something that is "
                f"not a model list: {one_line(exc, 80)}"
            ) from None

    def map_error(self, exc: BaseException) -> LlmError:
        """One-line LlmError for anything the openai client or httpx raised."""
        import httpx
        import openai

        where = f"the LLM endpoint at {self.base_url}"
        if isinstance(exc, LlmError):
            return exc
        if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
            return LlmUnavailable(f"{where} did not answer within {self.timeout_s:g} s")
        if isinstance(exc, openai.APIConnectionError | httpx.TransportError):
            return LlmUnavailable(f"cannot reach {where}: {_root_reason(exc)}")
        if isinstance(exc, openai.APIResponseValidationError):
            return LlmOutputError(f"{where} returned a malformed response: {one_line(exc, 120)}")
        if isinstance(exc, openai.APIStatusError):
            return LlmUnavailable(f"{where} returned HTTP {exc.status_code}: {_status_detail(exc)}")
        if isinstance(exc, openai.APIError):  # an error event inside a stream
            return LlmUnavailable(f"{where} reported an error: {one_line(exc.message, 160)}")
        if isinstance(exc, ValueError):  # json.JSONDecodeError included
            return LlmOutputError(f"{where} sent something that is not JSON: {one_line(exc, 120)}")
        return LlmError(f"{where}: {type(exc).__name__}: {one_line(exc, 160)}")

    def _request(self, msgs: list[Message], max_tokens: int, **extra: Any) -> dict[str, Any]:
        if max_tokens < 1:
            raise LlmError(f"max_tokens must be at least 1, got {max_tokens}")
        return {"model": self.model, "messages": msgs, self._tokens_field: max_tokens, **extra}

    def _create(self, request: dict[str, Any], *, reject_to_next: bool = False) -> Any:
        import openai

        try:
            return self.client.chat.completions.create(**request)
        except openai.APIStatusError as exc:
            if reject_to_next and exc.status_code in REJECTED:
                raise _Rejected(self.map_error(exc)) from None
            raise self.map_error(exc) from None
        except openai.OpenAIError as exc:
            raise self.map_error(exc) from None
        except ValueError as exc:
            raise self.map_error(exc) from None

    def _message(self, response: Any) -> Any:
        try:
            return response.choices[0].message
        except (AttributeError, IndexError, TypeError, KeyError):
            raise LlmOutputError(
                f"the LLM endpoint at {self.base_url} returned something that is not a chat "
                f"completion: {one_line(response, 100)!r}"
            ) from None

    def _text(self, response: Any) -> str:
        content = getattr(self._message(response), "content", None)
        if not isinstance(content, str):
            raise LlmOutputError(
                f"the LLM endpoint at {self.base_url} returned a completion without text"
            )
        return content

    @staticmethod
    def _sampling(temperature: float, stop: Sequence[str] | None) -> dict[str, Any]:
        extra: dict[str, Any] = {"temperature": temperature}
        if stop:
            extra["stop"] = list(stop)
        return extra

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
        if cancel is not None:  # only a stream can be abandoned half way
            return super().complete(
                messages, max_tokens=max_tokens, temperature=temperature, stop=stop, cancel=cancel
            )
        request = self._request(
            check_messages(messages), max_tokens, **self._sampling(temperature, stop)
        )
        return self._text(self._create(request))

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 128,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[str]:
        request = self._request(
            check_messages(messages), max_tokens, stream=True, **self._sampling(temperature, stop)
        )
        return self._stream(request, cancel)

    def _delta(self, chunk: Any) -> str | None:
        try:
            choices = chunk.choices
            if not choices:  # e.g. a final usage-only chunk
                return None
            content = choices[0].delta.content
        except (AttributeError, IndexError, TypeError, KeyError):
            raise LlmOutputError(
                f"the LLM endpoint at {self.base_url} streamed something that is not a "
                f"chat-completion chunk: {one_line(chunk, 100)!r}"
            ) from None
        return content if isinstance(content, str) else None

    def _stream(self, request: dict[str, Any], cancel: CancelToken | None) -> Iterator[str]:
        response = self._create(request)
        events = 0
        try:
            for chunk in response:
                events += 1
                if cancel is not None and cancel.is_set():
                    return
                delta = self._delta(chunk)
                if delta:
                    yield delta
        except LlmError:
            raise
        except Exception as exc:
            raise self.map_error(exc) from None
        finally:
            close = getattr(response, "close", None)
            if callable(close):
                close()
        if events == 0:
            raise LlmOutputError(
                f"the LLM endpoint at {self.base_url} ended the stream without any event"
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
        """Native async streaming (a client per call: httpx async pools are tied to a loop)."""
        import openai

        request = self._request(
            check_messages(messages), max_tokens, stream=True, **self._sampling(temperature, stop)
        )
        client = openai.AsyncOpenAI(
            base_url=self.base_url,
            api_key=self.api_key,
            timeout=self.timeout_s,
            max_retries=self.max_retries,
        )
        try:
            try:
                response = await client.chat.completions.create(**request)
            except Exception as exc:
                raise self.map_error(exc) from None
            events = 0
            try:
                async for chunk in response:
                    events += 1
                    if cancel is not None and cancel.is_set():
                        return
                    delta = self._delta(chunk)
                    if delta:
                        yield delta
            except LlmError:
                raise
            except Exception as exc:
                raise self.map_error(exc) from None
            finally:
                await response.close()
            if events == 0:
                raise LlmOutputError(
                    f"the LLM endpoint at {self.base_url} ended the stream without any event"
                )
        finally:
            await client.close()

    # ------------------------------------------------------------------ structured

    def structured(
        self, messages: Sequence[Message], schema: type[T], *, max_tokens: int = 512
    ) -> T:
        msgs = check_messages(messages)
        methods = list(STRUCTURED_METHODS)
        if self._structured_method in methods:  # the one that worked last time goes first
            methods.remove(self._structured_method)
            methods.insert(0, self._structured_method)
        last: LlmError | None = None
        for method in methods:
            try:
                result = getattr(self, f"_structured_{method}")(msgs, schema, max_tokens)
            except _Rejected as rejected:
                log.info("%s rejected %s structured output: %s", self.base_url, method, rejected)
                last = rejected.error
                continue
            self._structured_method = method
            return result
        assert last is not None
        raise last

    def _validated(self, text: str, schema: type[T]) -> T:
        from convrec.agent.llm_json import first_json_object

        data = first_json_object(text)
        try:
            return schema.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "the object"
            raise LlmOutputError(
                f"the reply does not fit {schema.__name__} ({where}: {first['msg']}): "
                f"{one_line(text, 100)!r}"
            ) from None

    def _structured_json_schema(self, msgs: list[Message], schema: type[T], max_tokens: int) -> T:
        try:  # the strict form OpenAI requires (every field required, no extra fields)
            from openai.lib._pydantic import to_strict_json_schema

            json_schema, strict = to_strict_json_schema(schema), True
        except Exception:
            json_schema, strict = schema.model_json_schema(), False
        response_format = {
            "type": "json_schema",
            "json_schema": {"name": schema.__name__, "schema": json_schema, "strict": strict},
        }
        request = self._request(msgs, max_tokens, temperature=0, response_format=response_format)
        return self._validated(self._text(self._create(request, reject_to_next=True)), schema)

    def _structured_function_calling(
        self, msgs: list[Message], schema: type[T], max_tokens: int
    ) -> T:
        tool = {
            "type": "function",
            "function": {
                "name": schema.__name__,
                "description": (schema.__doc__ or f"Return a {schema.__name__}.").strip(),
                "parameters": schema.model_json_schema(),
            },
        }
        request = self._request(
            msgs,
            max_tokens,
            temperature=0,
            tools=[tool],
            tool_choice={"type": "function", "function": {"name": schema.__name__}},
        )
        message = self._message(self._create(request, reject_to_next=True))
        try:
            arguments = message.tool_calls[0].function.arguments
        except (AttributeError, IndexError, TypeError):
            content = getattr(message, "content", None)
            if isinstance(content, str) and "{" in content:  # answered in text after all
                return self._validated(content, schema)
            raise LlmOutputError(
                f"the LLM endpoint at {self.base_url} did not call the {schema.__name__} function"
            ) from None
        return self._validated(str(arguments), schema)

    def _prompted(
        self, msgs: list[Message], schema: type[T], max_tokens: int, response_format: Any
    ) -> T:
        from convrec.agent.llm_json import prompted_json

        def generate(batch: list[Message], budget: int) -> str:
            extra: dict[str, Any] = {"temperature": 0}
            if response_format is not None:
                extra["response_format"] = response_format
            request = self._request(batch, budget, **extra)
            return self._text(self._create(request, reject_to_next=True))

        result = prompted_json(
            generate,
            msgs,
            schema.model_json_schema(),
            schema.model_validate,
            max_tokens=max_tokens,
        )
        return result

    def _structured_json_mode(self, msgs: list[Message], schema: type[T], max_tokens: int) -> T:
        return self._prompted(msgs, schema, max_tokens, {"type": "json_object"})

    def _structured_prompt(self, msgs: list[Message], schema: type[T], max_tokens: int) -> T:
        return self._prompted(msgs, schema, max_tokens, None)

    # ------------------------------------------------------------------ health

    def health(self) -> Health:
        """GET /models with a short timeout (a 1-token completion where /models is missing)."""
        import openai

        quick = self.client.with_options(timeout=min(5.0, self.timeout_s), max_retries=0)
        start = time.perf_counter()
        try:
            try:
                ids = self._list_models(quick)
                detail = f"{self.base_url} serves {', '.join(ids[:5]) or 'no models'}"
                if self._model and ids and self._model not in ids:
                    detail += f" (not {self._model})"
            except LlmUnavailable as exc:
                if "HTTP 404" not in str(exc) and "HTTP 405" not in str(exc):
                    raise
                quick.chat.completions.create(
                    **self._request([{"role": "user", "content": "Say OK."}], 1)
                )
                detail = f"{self.base_url} answers (no /models)"
        except LlmError as exc:
            return Health(False, str(exc))
        except openai.OpenAIError as exc:
            return Health(False, str(self.map_error(exc)))
        except json.JSONDecodeError as exc:
            return Health(False, str(self.map_error(exc)))
        return Health(True, detail, (time.perf_counter() - start) * 1000)
