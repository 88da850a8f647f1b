"""The embedded model (or any `Llm` without a LangChain model of its own: local, vllm) as a
LangChain chat model, so the graph speaks one interface: `llm.chat_model` on every backend.

`LlmChatModel` delegates to the `Llm`: `invoke` to `complete`, `stream` to `stream`, and
`with_structured_output(PydanticModel)` to `structured`; `score_options` stays on the `Llm`.
Calls take ``max_tokens`` and ``temperature`` (and LangChain's ``stop``).

It makes no tool calls: `bind_tools` raises NotImplementedError (LangChain's own answer for a
model without tool calling) at once, so a planner falls back to its default plan without
spending a decode on a prompt the model cannot follow.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import BaseModel, ConfigDict, Field

from convrec.llm.lc_messages import from_langchain


class LlmChatModel(BaseChatModel):
    """An `Llm` (normally the embedded SmolLM2) as a LangChain chat model."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    llm: Any = Field(exclude=True)
    """The `Llm` that answers (complete, stream, structured)."""
    max_tokens: int = 256
    temperature: float = 0.0

    @property
    def _llm_type(self) -> str:
        return "convrec-llm"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.llm.name, "max_tokens": self.max_tokens}

    def _options(self, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {
            "max_tokens": int(kwargs.get("max_tokens") or self.max_tokens),
            "temperature": float(kwargs.get("temperature", self.temperature) or 0.0),
            "stop": stop,
        }

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = self.llm.complete(from_langchain(messages), **self._options(stop, kwargs))
        message = AIMessage(content=text, response_metadata={"model_name": self.llm.name})
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        deltas = self.llm.stream(from_langchain(messages), **self._options(stop, kwargs))
        try:
            for delta in deltas:
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
                if run_manager is not None:
                    run_manager.on_llm_new_token(delta, chunk=chunk)
                yield chunk
        finally:
            close = getattr(deltas, "close", None)
            if callable(close):
                close()  # a consumer that stops early stops the decoding
        yield self._last_chunk()

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        """The Llm's own `astream` (a consumer that stops early stops the decoding, which
        LangChain's default, `_stream` stepped in a thread pool, would not)."""
        deltas = self.llm.astream(from_langchain(messages), **self._options(stop, kwargs))
        try:
            async for delta in deltas:
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
                if run_manager is not None:
                    await run_manager.on_llm_new_token(delta, chunk=chunk)
                yield chunk
        finally:
            aclose = getattr(deltas, "aclose", None)
            if callable(aclose):
                await aclose()
        yield self._last_chunk()

    def _last_chunk(self) -> ChatGenerationChunk:
        return ChatGenerationChunk(
            message=AIMessageChunk(
                content="", response_metadata={"model_name": self.llm.name}, chunk_position="last"
            )
        )

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | Any],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        raise NotImplementedError(
            f"{self.llm.name} makes no tool calls (use the default plan, or an "
            "OpenAI-compatible endpoint that calls tools)"
        )

    def with_structured_output(
        self, schema: Any, *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable[LanguageModelInput, Any]:
        """`Llm.structured` for a pydantic model (prompted JSON, validated, repaired once)."""
        if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
            raise NotImplementedError(f"{self.llm.name} gives structured output as pydantic models")
        if include_raw:
            raise NotImplementedError(f"{self.llm.name} has no raw message for structured output")
        max_tokens = int(kwargs.get("max_tokens") or 512)

        def answer(value: LanguageModelInput) -> Any:
            messages = self._convert_input(value).to_messages()
            return self.llm.structured(from_langchain(messages), schema, max_tokens=max_tokens)

        return RunnableLambda(answer, name=f"{schema.__name__}Output")
