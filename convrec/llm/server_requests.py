"""Requests to `convrec llm serve` (`convrec.llm.server`): the parts of an OpenAI
chat-completions body the server uses, validated, and `BadRequest` (HTTP 400 and its message)
for anything else."""

from __future__ import annotations

from typing import Any

from convrec.llm.types import Message, one_line

DEFAULT_MAX_TOKENS = 256
ROLE_ALIASES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}


class BadRequest(Exception):
    """The request is malformed; its message is sent back with HTTP 400."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _content_text(content: Any, index: int) -> str:
    if isinstance(content, str):
        return content
    if content is None:
        return ""
    if isinstance(content, list):  # [{"type": "text", "text": ...}, ...]
        texts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text":
                texts.append(str(part.get("text", "")))
            else:
                raise BadRequest(f"messages[{index}]: only text content is supported")
        return "".join(texts)
    raise BadRequest(f"messages[{index}].content must be a string or a list of text parts")


def parse_messages(raw: Any) -> list[Message]:
    if not isinstance(raw, list) or not raw:
        raise BadRequest("'messages' must be a non-empty list")
    messages: list[Message] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise BadRequest(f"messages[{i}] must be an object")
        role = ROLE_ALIASES.get(str(item.get("role")))
        if role is None:
            raise BadRequest(
                f"messages[{i}].role {item.get('role')!r} is not supported "
                "(system, developer, user, assistant)"
            )
        messages.append({"role": role, "content": _content_text(item.get("content"), i)})
    return messages


def check_tools(body: dict[str, Any]) -> int:
    """How many tools the request offers. This server answers in text and never calls one: a
    well-formed list with tool_choice auto or none (what `ChatOpenAI.bind_tools` sends) is
    answered without tool calls, as a model may always choose; a call it cannot make
    (tool_choice required or a named function) is a 400."""
    tools = body.get("tools")
    if tools is None and body.get("functions") is not None:  # the legacy form
        tools = [{"type": "function", "function": f} for f in body["functions"] or []]
    if tools is None:
        return 0
    if not isinstance(tools, list):
        raise BadRequest("'tools' must be a list")
    for i, tool in enumerate(tools):
        kind = tool.get("type") if isinstance(tool, dict) else None
        function = tool.get("function") if isinstance(tool, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if kind != "function" or not isinstance(name, str) or not name:
            raise BadRequest(
                f"tools[{i}] must be {{'type': 'function', 'function': {{'name': ...}}}}"
            )
    choice = body.get("tool_choice", body.get("function_call"))
    if tools and choice not in (None, "auto", "none"):
        raise BadRequest(
            f"tool_choice {one_line(choice, 80)} cannot be honoured: this server answers in "
            "text and makes no tool calls (use tool_choice 'auto' or 'none')"
        )
    return len(tools)


def _number(body: dict[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise BadRequest(f"'{key}' must be a number between {low:g} and {high:g}")
    return float(value)


class ChatRequest:
    """The parts of a chat-completions request this server uses, validated."""

    def __init__(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise BadRequest("the request body must be a JSON object")
        self.messages = parse_messages(body.get("messages"))
        self.tools = check_tools(body)
        n = body.get("n", 1)
        if n not in (1, None):
            raise BadRequest("only n=1 is supported")
        limit = body.get("max_completion_tokens", body.get("max_tokens"))
        self.max_tokens = int(
            _number({"max_tokens": limit}, "max_tokens", DEFAULT_MAX_TOKENS, 1, 32768)
        )
        self.temperature = _number(body, "temperature", 0.0, 0.0, 2.0)
        stop = body.get("stop")
        if isinstance(stop, str):
            stop = [stop]
        if stop is not None and (
            not isinstance(stop, list) or not all(isinstance(s, str) for s in stop)
        ):
            raise BadRequest("'stop' must be a string or a list of strings")
        self.stop: list[str] | None = stop or None
        self.stream = bool(body.get("stream", False))
        self.json_schema: dict[str, Any] | None = None
        self.json_mode = False
        fmt = body.get("response_format")
        if fmt is not None:
            kind = fmt.get("type") if isinstance(fmt, dict) else None
            if kind == "json_object":
                self.json_mode = True
            elif kind == "json_schema":
                spec = fmt.get("json_schema")
                schema = spec.get("schema") if isinstance(spec, dict) else None
                if not isinstance(schema, dict):
                    raise BadRequest("response_format.json_schema.schema must be an object")
                self.json_mode, self.json_schema = True, schema
            elif kind != "text":
                raise BadRequest(f"response_format type {kind!r} is not supported")
