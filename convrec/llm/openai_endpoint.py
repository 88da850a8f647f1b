"""The connection to an OpenAI-compatible chat-completions endpoint (OpenAI, `vllm serve`,
Ollama, llama.cpp's server, or `convrec llm serve`) through langchain-openai's `ChatOpenAI`
(`chat_model`, which the agent's tool-calling planner binds its tools to): errors as one line
(`convrec.llm.openai_errors`), text, streaming (sync and async, one reading of the chunks:
`convrec.llm.openai_chat.StreamReader`) and health (the openai client's GET /models). The
`openai` backend (`convrec.llm.openai_api`) adds structured output on top."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Self

from convrec.config import Settings
from convrec.llm.base import BaseLlm
from convrec.llm.lc_messages import message_text, to_langchain
from convrec.llm.openai_errors import REJECTED, Rejected, map_chat_error
from convrec.llm.turn_budget import current_budget
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

if TYPE_CHECKING:
    from convrec.llm.openai_chat import EndpointChatOpenAI

OPENAI_URL = "https://api.openai.com/v1"
OPENAI_DEFAULT_MODEL = "gpt-4o-mini"
DUMMY_KEY = "not-needed"  # local servers want no key, but the client insists on one


def failed(error: LlmError) -> LlmError:
    """`error`, kept by the running turn's LLM budget (convrec.llm.turn_budget) so the turn
    can say why its reply came from templates."""
    budget = current_budget()
    if budget is not None:
        budget.record(error)
    return error


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
        import openai  # deferred: openai takes ~3 s to import

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
        self.official = official
        self._chat: EndpointChatOpenAI | None = None
        self._chat_lock = threading.Lock()
        # deferred: convrec.llm.openai_chat pulls in openai, langchain_openai, langchain_core, ...
        from convrec.llm.openai_chat import deadline_client

        self.client = openai.OpenAI(
            base_url=self.base_url,
            api_key=self.api_key,
            timeout=timeout_s,
            max_retries=max_retries,
            http_client=deadline_client(timeout_s),
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
        import openai  # deferred: openai takes ~3 s to import

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
        """One-line LlmError for anything ChatOpenAI, the openai client or httpx raised."""
        return map_chat_error(exc, self.base_url, self.timeout_s)

    @property
    def chat_model(self) -> EndpointChatOpenAI:
        """The LangChain chat model every call goes through (`ChatOpenAI`; tools bind to it
        with `bind_tools`), built once the model is known."""
        chat = self._chat
        if chat is None:
            with self._chat_lock:
                chat = self._chat
                if chat is None:
                    chat = self._chat = self._build_chat()
        return chat

    def _build_chat(
        self, timeout_s: float | None = None, max_retries: int | None = None, **extra: Any
    ) -> EndpointChatOpenAI:
        # deferred: convrec.llm.openai_chat pulls in openai, langchain_openai, langchain_core, ...
        from convrec.llm.openai_chat import build_chat_openai

        return build_chat_openai(
            base_url=self.base_url,
            model=self.model,
            api_key=self.api_key,
            timeout_s=self.timeout_s if timeout_s is None else timeout_s,
            max_retries=self.max_retries if max_retries is None else max_retries,
            official=self.official,
            **extra,
        )

    def call_options(
        self, max_tokens: int, temperature: float | None = None, stop: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """The per-call options of a request (ChatOpenAI keyword arguments)."""
        if max_tokens < 1:
            raise LlmError(f"max_tokens must be at least 1, got {max_tokens}")
        options: dict[str, Any] = {"max_tokens": max_tokens}
        if temperature is not None:
            options["temperature"] = temperature
        if stop:
            options["stop"] = list(stop)
        return options

    def invoke(
        self,
        runnable: Any,
        messages: Sequence[Message],
        *,
        reject_to_next: bool = False,
        **options: Any,
    ) -> Any:
        """`runnable.invoke` on `messages`, every failure as a one-line LlmError; with
        `reject_to_next`, a refused request shape (HTTP 400, 404, ...) as `Rejected`."""
        import openai  # deferred: openai takes ~3 s to import

        lc_messages = to_langchain(messages)
        try:
            return runnable.invoke(lc_messages, **options)
        except openai.APIStatusError as exc:
            if reject_to_next and exc.status_code in REJECTED:
                raise Rejected(self.map_error(exc)) from None
            raise failed(self.map_error(exc)) from None
        except Exception as exc:
            raise failed(self.map_error(exc)) from None

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
        check_messages(messages)
        options = self.call_options(max_tokens, temperature, stop)
        return self.text_of(self.invoke(self.chat_model, messages, **options))

    def text_of(self, message: Any) -> str:
        if not hasattr(message, "content"):
            raise LlmOutputError(
                f"the LLM endpoint at {self.base_url} returned something that is not a chat "
                f"completion: {one_line(message, 100)!r}"
            )
        text = message_text(message)
        if not text and getattr(message, "tool_calls", None):
            raise LlmOutputError(
                f"the LLM endpoint at {self.base_url} returned a completion without text"
            )
        return text

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 128,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[str]:
        lc_messages = to_langchain(messages)
        options = self.call_options(max_tokens, temperature, stop)
        return self._stream(lc_messages, options, cancel)

    def _stream(
        self, lc_messages: list[Any], options: dict[str, Any], cancel: CancelToken | None
    ) -> Iterator[str]:
        # deferred: convrec.llm.openai_chat pulls in openai, langchain_openai, langchain_core, ...
        from convrec.llm.openai_chat import StreamReader

        reader = StreamReader(self.base_url, self.timeout_s, cancel)
        chunks: Any = None
        try:
            chunks = self.chat_model.stream(lc_messages, **options)
            for chunk in chunks:
                if reader.cancelled():
                    return
                text = reader.text(chunk)
                if text:
                    yield text
            reader.finish()
        except LlmError as exc:
            raise failed(exc) from None
        except Exception as exc:
            raise failed(reader.error(exc)) from None
        finally:
            if chunks is not None:
                chunks.close()  # stops reading the HTTP response

    async def astream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 128,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
        cancel: CancelToken | None = None,
    ) -> AsyncIterator[str]:
        """Native async streaming, through a chat model with its own async HTTP client (an
        httpx async pool is tied to the event loop it first ran in)."""
        import httpx  # deferred: httpx takes ~0.5 s to import

        # deferred: convrec.llm.openai_chat pulls in openai, langchain_openai, langchain_core, ...
        from convrec.llm.openai_chat import StreamReader

        lc_messages = to_langchain(messages)
        options = self.call_options(max_tokens, temperature, stop)
        reader = StreamReader(self.base_url, self.timeout_s, cancel)
        client = httpx.AsyncClient(timeout=self.timeout_s)
        chunks: Any = None
        try:
            chunks = self._build_chat(http_async_client=client).astream(lc_messages, **options)
            async for chunk in chunks:
                if reader.cancelled():
                    return
                text = reader.text(chunk)
                if text:
                    yield text
            reader.finish()
        except LlmError:
            raise
        except Exception as exc:
            raise reader.error(exc) from None
        finally:
            if chunks is not None:
                await chunks.aclose()
            await client.aclose()

    # ------------------------------------------------------------------ health

    def health(self) -> Health:
        """GET /models with a short timeout (a 1-token completion where /models is missing)."""
        import openai  # deferred: openai takes ~3 s to import

        quick_s = min(5.0, self.timeout_s)
        quick = self.client.with_options(timeout=quick_s, max_retries=0)
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
                chat = self._build_chat(timeout_s=quick_s, max_retries=0)
                self.invoke(chat, [{"role": "user", "content": "Say OK."}], max_tokens=1)
                detail = f"{self.base_url} answers (no /models)"
        except LlmError as exc:
            return Health(False, str(exc))
        except openai.OpenAIError as exc:
            return Health(False, str(self.map_error(exc)))
        except json.JSONDecodeError as exc:
            return Health(False, str(self.map_error(exc)))
        return Health(True, detail, (time.perf_counter() - start) * 1000)
