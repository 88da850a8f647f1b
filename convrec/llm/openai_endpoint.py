"""The connection to an OpenAI-compatible chat-completions endpoint, through the openai client
(OpenAI, `vllm serve`, Ollama, llama.cpp's server, or `convrec llm serve`): requests, errors as
one line (`convrec.llm.openai_errors`), text, streaming (sync and async) and health. The
`openai` backend (`convrec.llm.openai_api`) adds structured output on top."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Self

from convrec.config import Settings
from convrec.llm.base import BaseLlm
from convrec.llm.openai_errors import REJECTED, Rejected, map_openai_error
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

OPENAI_URL = "https://api.openai.com/v1"
OPENAI_DEFAULT_MODEL = "gpt-4o-mini"
DUMMY_KEY = "not-needed"  # local servers want no key, but the client insists on one


class OpenAiEndpoint(BaseLlm):
    """An OpenAI-compatible endpoint: text completion and streaming."""

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
        self.name = f"openai:{self._model or 'served-model'}@{self.base_url}"
        for noisy in ("openai", "httpx"):  # a line per request and per retry at INFO
            logger = logging.getLogger(noisy)
            if logger.level == logging.NOTSET:
                logger.setLevel(logging.WARNING)

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
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
        return map_openai_error(exc, self.base_url, self.timeout_s)

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
                raise Rejected(self.map_error(exc)) from None
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
