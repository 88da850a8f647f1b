"""`BaseLlm`: what the backends share, so each writes only what it does differently (including
`chat_model`, the backend as a LangChain chat model)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from pydantic import BaseModel

from convrec.llm.json_output import prompted_json
from convrec.llm.streaming import AnyEvent
from convrec.llm.types import CancelToken, Health, LlmError, Message

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

T = TypeVar("T", bound=BaseModel)


class BaseLlm:
    """Shared behaviour: `complete` from `stream`, `astream` from `stream` in a thread,
    JSON-prompted `structured`, and no scoring."""

    name: str = "llm"
    supports_scoring: bool = False
    capable: bool = False

    @property
    def chat_model(self) -> BaseChatModel:
        """This model as a LangChain chat model, made once (`LlmChatModel`: no tool calls;
        the openai backend gives its `ChatOpenAI` instead)."""
        chat = self.__dict__.get("_chat_model")
        if chat is None:
            # deferred: convrec.llm.chat_embedded pulls in langchain_core, requests, anyio, ...
            from convrec.llm.chat_embedded import LlmChatModel

            chat = self.__dict__.setdefault("_chat_model", LlmChatModel(llm=self))
        return chat

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
