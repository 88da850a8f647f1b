"""Chat messages between this layer's form (``{"role", "content"}`` dicts) and LangChain's
(`SystemMessage`, `HumanMessage`, `AIMessage`), so the backends and the graph speak one
interface."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from convrec.llm.types import LlmError, Message, check_messages

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

_ROLE_OF_TYPE = {"system": "system", "developer": "system", "human": "user", "ai": "assistant"}


def to_langchain(messages: Sequence[Message]) -> list[BaseMessage]:
    """`messages` (checked) as LangChain messages."""
    # deferred: langchain_core takes ~1 s to import
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[m["role"]](content=m["content"]) for m in check_messages(messages)]


def message_text(message: Any) -> str:
    """The text of a LangChain message (string content, or the text parts of a list)."""
    content = getattr(message, "content", message)
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part if isinstance(part, str) else str(part.get("text", ""))
            for part in content
            if isinstance(part, str) or (isinstance(part, dict) and part.get("type") == "text")
        )
    return ""


def from_langchain(messages: Sequence[Any]) -> list[Message]:
    """LangChain messages (or role/content dicts) in this layer's form. A tool message, or a
    turn with tool calls, is an LlmError: models behind this form make no tool calls."""
    from langchain_core.messages import BaseMessage, convert_to_messages  # deferred: ~1 s to import

    converted: list[Message] = []
    for i, message in enumerate(convert_to_messages(list(messages))):
        kind = message.type if isinstance(message, BaseMessage) else None
        role = _ROLE_OF_TYPE.get(str(kind))
        if role is None or getattr(message, "tool_calls", None):
            raise LlmError(
                f"message {i} is a {kind} message: only system, user and assistant text is "
                "supported here (this model makes no tool calls)"
            )
        converted.append({"role": role, "content": message_text(message)})
    return check_messages(converted)
