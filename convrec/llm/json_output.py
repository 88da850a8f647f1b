"""JSON from models that are only prompted for it: the instruction (fields and an example of
the format), finding the first JSON object in a reply, validation, and one repair retry.

Nothing here repairs JSON text: the repair is the model's (one retry with the problem named),
and a reply that is cut off or malformed is an error, not completed. So pydantic's partial JSON
(`pydantic_core.from_json(..., allow_partial=True)`) and `json-repair` do not fit: both
complete a truncated object (`'{"a": '` becomes `{}`) where `first_json_object` must raise.
Parsing is the standard library's `json.JSONDecoder.raw_decode`, tried at each "{" so chatter
and code fences around the object are skipped. `json_object_end` is a streaming stop test,
not a parser: it balances brackets outside strings, so generation also stops at a closed but
malformed object (which the retry then names) instead of running to the token limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from convrec.llm.types import LlmOutputError, Message, check_messages, one_line
from convrec.prompts import load_prompt, render_prompt

# generate(messages, max_tokens) -> the raw reply, expected to hold a JSON object
Generate = Callable[[list[Message], int], str]
Validate = Callable[[Any], Any]


def json_object_end(text: str, start: int = 0) -> int | None:
    """Index just past the JSON object opening at text[start] ("{"), or None if not closed."""
    depth = 0
    in_string = escaped = False
    for i in range(start, len(text)):
        ch = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def first_json_object(text: str) -> dict[str, Any]:
    """The first JSON object in `text` (code fences and chatter around it are ignored)."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    if start < 0:
        raise LlmOutputError(f"the reply holds no JSON object: {one_line(text, 120)!r}")
    first_error: str | None = None
    while start >= 0:
        try:
            value, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError as exc:
            first_error = first_error or f"{exc.msg} at character {exc.pos}"
        else:
            if isinstance(value, dict):
                return value
        start = text.find("{", start + 1)
    raise LlmOutputError(f"the reply is not valid JSON ({first_error}): {one_line(text, 120)!r}")


# ----------------------------------------------------------------------------- the prompt


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        name = ref.rsplit("/", 1)[-1]
        return _resolve(defs.get(name, {}), defs)
    for key in ("anyOf", "oneOf", "allOf"):
        options = node.get(key)
        if isinstance(options, list) and options:
            concrete = [o for o in options if isinstance(o, dict) and o.get("type") != "null"]
            return _resolve(concrete[0] if concrete else options[0], defs)
    return node


def _type_name(node: dict[str, Any], defs: dict[str, Any]) -> str:
    node = _resolve(node, defs)
    if "enum" in node:
        return "one of " + ", ".join(json.dumps(v) for v in node["enum"])
    if "const" in node:
        return f"exactly {json.dumps(node['const'])}"
    kind = node.get("type", "any")
    if kind == "array":
        return f"list of {_type_name(node.get('items', {}), defs)}"
    if kind == "object" and "properties" in node:
        return "object with " + ", ".join(node["properties"])
    return str(kind)


def example_value(node: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> Any:
    """A value of the right shape for `node` (defaults and examples first)."""
    if "default" in node and node["default"] is not None:
        return node["default"]
    if isinstance(node.get("examples"), list) and node["examples"]:
        return node["examples"][0]
    node = _resolve(node, defs)
    if node.get("enum"):
        return node["enum"][0]
    if "const" in node:
        return node["const"]
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        if depth > 3:
            return {}
        return {
            key: example_value(sub, defs, depth + 1)
            for key, sub in node.get("properties", {}).items()
        }
    if kind == "array":
        return [example_value(node.get("items", {}), defs, depth + 1)]
    if kind == "integer":
        return node.get("minimum", 1)
    if kind == "number":
        return node.get("minimum", 1.0)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return "..."


def json_instruction(json_schema: dict[str, Any] | None) -> str:
    """What to append to the last user message so a small model answers with the JSON."""
    if not json_schema or not json_schema.get("properties"):
        return load_prompt("json_only")
    defs = json_schema.get("$defs", {}) or json_schema.get("definitions", {})
    required = set(json_schema.get("required", []))
    lines = []
    for key, node in json_schema["properties"].items():
        note = "" if key in required else " (optional)"
        about = node.get("description") or _resolve(node, defs).get("description")
        lines.append(
            f'- "{key}": {_type_name(node, defs)}{note}' + (f" - {about}" if about else "")
        )
    example = json.dumps(example_value(json_schema, defs))
    return render_prompt("json_fields", fields="\n".join(lines), example=example)


def with_instruction(messages: Sequence[Message], instruction: str) -> list[Message]:
    """The messages with `instruction` appended to the last user message (or as a new one)."""
    msgs = check_messages(messages)
    if msgs[-1]["role"] == "user":
        msgs[-1] = {"role": "user", "content": f"{msgs[-1]['content']}\n\n{instruction}"}
    else:
        msgs.append({"role": "user", "content": instruction})
    return msgs


# ----------------------------------------------------------------------------- validation


def json_schema_validator(json_schema: dict[str, Any] | None) -> Validate:
    """Validates against a JSON schema (with jsonschema when installed, else required keys)."""

    def validate(value: Any) -> Any:
        if not isinstance(value, dict):
            raise ValueError("expected a JSON object")
        if not json_schema:
            return value
        try:
            # deferred: jsonschema is optional here (else a required-fields check)
            import jsonschema
        except ImportError:
            missing = [k for k in json_schema.get("required", []) if k not in value]
            if missing:
                raise ValueError(f"missing fields: {', '.join(missing)}") from None
            return value
        try:
            jsonschema.validate(value, json_schema)
        except jsonschema.ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path) or "the object"
            raise ValueError(f"{where}: {exc.message}") from None
        return value

    return validate


def _error_text(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):  # pydantic.ValidationError: the first problem, briefly
        try:
            first = errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "the object"
            return f"{where}: {first.get('msg')}"
        except Exception:
            pass
    return one_line(exc, 160)


def prompted_json(
    generate: Generate,
    messages: Sequence[Message],
    json_schema: dict[str, Any] | None,
    validate: Validate | None = None,
    *,
    max_tokens: int = 512,
    instruction: str | None = None,
) -> Any:
    """Prompt for JSON, parse and validate it; one repair retry, then LlmOutputError."""
    check = validate or json_schema_validator(json_schema)
    msgs = with_instruction(messages, instruction or json_instruction(json_schema))
    problem = ""
    for attempt in range(2):
        raw = generate(msgs, max_tokens)
        try:
            return check(first_json_object(raw))
        except LlmOutputError as exc:
            problem = str(exc)
        except (ValueError, TypeError) as exc:  # pydantic.ValidationError is a ValueError
            problem = f"the JSON does not fit the format ({_error_text(exc)})"
        if attempt == 0:
            msgs = [
                *msgs,
                {"role": "assistant", "content": raw},
                {"role": "user", "content": render_prompt("json_repair", problem=problem)},
            ]
    raise LlmOutputError(f"no valid JSON after one repair: {problem}")
