"""A scripted OpenAI-compatible endpoint on loopback that plays a capable model.

What cannot run here is a capable hosted model; everything between the agent and it is
real (ChatOpenAI, the openai client, HTTP, JSON). A request that offers a `finish` tool is
the tool-calling planner's: the server answers with the script's next step (tool calls, or
text), and records the request. Other requests get what a model that adds nothing would
answer: "{}" for structured output (JSON schema or JSON mode), a short sentence for text,
as an SSE stream when asked.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# A step: a list of tool calls (name, arguments: a dict, or a raw string sent as is), or a
# text answer, or a function of the messages so far that returns one of those.
Call = tuple[str, dict[str, Any] | str]
Step = list[Call] | str | Callable[[list[dict[str, Any]]], "list[Call] | str"]

TEXT_REPLY = "Here are a few films that fit what you asked for."


class ScriptedModel:
    def __init__(self, steps: list[Step]) -> None:
        self.steps = list(steps)
        self.planner_requests: list[dict[str, Any]] = []
        self.other_requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def tool_messages(self, request: int) -> list[str]:
        """The tool results the planner sent with its `request`-th request (0-based)."""
        return [m.get("content") or "" for m in self.planner_requests[request]["messages"]
                if m.get("role") == "tool"]

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        names = {t.get("function", {}).get("name") for t in request.get("tools") or []}
        if "finish" in names:
            with self._lock:
                self.planner_requests.append(request)
                step: Any = self.steps.pop(0) if self.steps else "I am done."
                number = len(self.planner_requests)
            if callable(step):
                step = step(request["messages"])
            if isinstance(step, str):
                return {"role": "assistant", "content": step}
            calls = [{"id": f"call_{number}_{i}", "type": "function",
                      "function": {"name": name,
                                   "arguments": args if isinstance(args, str)
                                   else json.dumps(args)}}
                     for i, (name, args) in enumerate(step)]
            return {"role": "assistant", "content": None, "tool_calls": calls}
        with self._lock:
            self.other_requests.append(request)
        fmt = (request.get("response_format") or {}).get("type")
        return {"role": "assistant", "content": "{}" if fmt in ("json_schema", "json_object")
                else TEXT_REPLY}


def _completion(message: dict[str, Any]) -> dict[str, Any]:
    finish = "tool_calls" if message.get("tool_calls") else "stop"
    return {"id": "chatcmpl-scripted", "object": "chat.completion", "created": 0,
            "model": "scripted", "choices": [{"index": 0, "message": message,
                                              "finish_reason": finish}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


def _chunk(delta: dict[str, Any], finish: str | None) -> bytes:
    payload = {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": 0,
               "model": "scripted",
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(payload)}\n\n".encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    model: ScriptedModel

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        body = {"object": "list", "data": [{"id": "scripted", "object": "model"}]}
        self._send(200, json.dumps(body).encode(), "application/json")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(length) or b"{}")
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, b'{"error": {"message": "not found"}}', "application/json")
            return
        message = type(self).model.answer(request)
        if request.get("stream"):
            body = (_chunk({"role": "assistant", "content": message.get("content") or ""}, None)
                    + _chunk({}, "stop") + b"data: [DONE]\n\n")
            self._send(200, body, "text/event-stream")
        else:
            self._send(200, json.dumps(_completion(message)).encode(), "application/json")


@contextmanager
def scripted_server(model: ScriptedModel) -> Iterator[str]:
    """Serve `model` on a free loopback port; yields the base URL (http://127.0.0.1:P/v1)."""
    handler = type("Handler", (_Handler,), {"model": model})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    finally:
        httpd.shutdown()
        httpd.server_close()


class WithChatModel:
    """An Llm with a LangChain chat model beside it (`llm.chat_model`), as the LangChain
    backends expose one."""

    def __init__(self, llm: Any, chat_model: Any) -> None:
        self._llm = llm
        self.chat_model = chat_model

    def __getattr__(self, name: str) -> Any:
        return getattr(self._llm, name)


def capable_llm(base_url: str, timeout_s: float = 30.0) -> WithChatModel:
    """The `openai` backend on `base_url` with a ChatOpenAI on the same endpoint."""
    from langchain_openai import ChatOpenAI

    from convrec.llm.openai_api import OpenAiLlm

    llm = OpenAiLlm(base_url=base_url, model="scripted", timeout_s=timeout_s, max_retries=0)
    chat = ChatOpenAI(base_url=base_url, api_key="x", model="scripted",  # type: ignore[arg-type]
                      timeout=timeout_s, max_retries=0)
    return WithChatModel(llm, chat)
