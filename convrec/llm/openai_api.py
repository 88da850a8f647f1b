"""The `openai` backend: any OpenAI-compatible chat-completions endpoint
(`convrec.llm.openai_endpoint`), with structured output.

Structured output tries, in order, and remembers the first the server accepts: JSON schema
(`response_format` json_schema), function calling (a forced tool call), JSON mode
(json_object) and plain prompting; the reply is always validated with pydantic.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from convrec.llm.openai_endpoint import OpenAiEndpoint
from convrec.llm.openai_errors import Rejected
from convrec.llm.types import LlmError, LlmOutputError, Message, check_messages, one_line

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)
STRUCTURED_METHODS = ("json_schema", "function_calling", "json_mode", "prompt")


class OpenAiLlm(OpenAiEndpoint):
    """An OpenAI-compatible endpoint, with structured output."""

    _structured_method: str | None = None  # the method the server accepted last

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
            except Rejected as rejected:
                log.info("%s rejected %s structured output: %s", self.base_url, method, rejected)
                last = rejected.error
                continue
            self._structured_method = method
            return result
        assert last is not None
        raise last

    def _validated(self, text: str, schema: type[T]) -> T:
        from convrec.llm.json_output import first_json_object

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
        from convrec.llm.json_output import prompted_json

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
