"""The `openai` backend: any OpenAI-compatible chat-completions endpoint
(`convrec.llm.openai_endpoint`, through `ChatOpenAI`), with structured output.

Structured output tries, in order, and remembers the first the server accepts: JSON schema
and function calling (`ChatOpenAI.with_structured_output`, method json_schema /
function_calling), then JSON mode (json_object) and plain prompting with one repair retry
(`convrec.llm.json_output`, for endpoints that support neither); the reply is always validated
with pydantic here, so a misfit is one line.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from convrec.llm.json_output import first_json_object, prompted_json
from convrec.llm.openai_endpoint import OpenAiEndpoint, failed
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
            except LlmError as exc:  # garbage, or the endpoint gone: the turn says why
                raise failed(exc) from None
            self._structured_method = method
            return result
        assert last is not None
        raise failed(last)

    def _validated(self, reply: str | dict[str, Any], schema: type[T]) -> T:
        """`reply` (text holding a JSON object, or the object) as a `schema`, or a one-line
        LlmOutputError."""
        data = first_json_object(reply) if isinstance(reply, str) else reply
        try:
            return schema.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "the object"
            raise LlmOutputError(
                f"the reply does not fit {schema.__name__} ({where}: {first['msg']}): "
                f"{one_line(reply, 100)!r}"
            ) from None

    def _raw_reply(
        self,
        msgs: list[Message],
        spec: dict[str, Any],
        method: Literal["json_schema", "function_calling"],
        max_tokens: int,
    ) -> Any:
        """The model's message for `ChatOpenAI.with_structured_output(spec, method=...)`;
        validation is ours, so every misfit is one line."""
        runnable = self.chat_model.with_structured_output(
            spec, method=method, include_raw=True, max_tokens=max_tokens, temperature=0
        )
        result = self.invoke(runnable, msgs, reject_to_next=True)
        return result["raw"] if isinstance(result, dict) else result

    def _structured_json_schema(self, msgs: list[Message], schema: type[T], max_tokens: int) -> T:
        try:  # the strict form OpenAI requires (every field required, no extra fields)
            from openai.lib._pydantic import to_strict_json_schema  # deferred: ~3 s to import

            json_schema, strict = to_strict_json_schema(schema), True
        except Exception:
            json_schema, strict = schema.model_json_schema(), False
        spec = {"name": schema.__name__, "schema": json_schema, "strict": strict}
        raw = self._raw_reply(msgs, spec, "json_schema", max_tokens)
        return self._validated(self.text_of(raw), schema)

    def _structured_function_calling(
        self, msgs: list[Message], schema: type[T], max_tokens: int
    ) -> T:
        spec = {
            "name": schema.__name__,
            "description": (schema.__doc__ or f"Return a {schema.__name__}.").strip(),
            "parameters": schema.model_json_schema(),
        }
        raw = self._raw_reply(msgs, spec, "function_calling", max_tokens)
        calls = getattr(raw, "tool_calls", None) or []
        if calls:
            return self._validated(calls[0].get("args") or {}, schema)
        for bad in getattr(raw, "invalid_tool_calls", None) or []:  # arguments that are not JSON
            return self._validated(str(bad.get("args") or ""), schema)
        content = self.text_of(raw)
        if "{" in content:  # answered in text after all
            return self._validated(content, schema)
        raise LlmOutputError(
            f"the LLM endpoint at {self.base_url} did not call the {schema.__name__} function"
        )

    def _prompted(
        self, msgs: list[Message], schema: type[T], max_tokens: int, response_format: Any
    ) -> T:
        def generate(batch: list[Message], budget: int) -> str:
            options = self.call_options(budget, 0.0)
            if response_format is not None:
                options["response_format"] = response_format
            reply = self.invoke(self.chat_model, batch, reject_to_next=True, **options)
            return self.text_of(reply)

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
