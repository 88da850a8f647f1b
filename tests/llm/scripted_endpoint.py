"""A scripted OpenAI-compatible endpoint on loopback that records what it is sent: it stands in
for a capable hosted model (tool calls, streamed replies) so the real client code path runs.
The first path segment picks the behaviour: ``/<mode>/v1/chat/completions``."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WORDS = ["The", " capital", " of", " France", " is", " Paris", "."]


def completion(content: str | None, tool_calls: list[dict[str, Any]] | None = None) -> dict:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": 0,
        "model": "scripted",
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if tool_calls else "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
    }


def tool_call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "call_1",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    requests: list[dict[str, Any]]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
            self.close_connection = True

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _sse(self, events: list[Any]) -> None:
        body = b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events)
        self._send(200, body + b"data: [DONE]\n\n", "text/event-stream")

    def do_GET(self) -> None:
        self._json(200, {"object": "list", "data": [{"id": "scripted", "object": "model"}]})

    def do_POST(self) -> None:
        mode = self.path.strip("/").split("/")[0]
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        self.requests.append({"mode": mode, **request})
        if mode == "slow":
            time.sleep(3)
        if request.get("stream"):
            chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "s"}
            deltas = [{"role": "assistant", "content": ""}] + [{"content": w} for w in WORDS]
            events = [{**chunk, "choices": [{"index": 0, "delta": d}]} for d in deltas]
            last = {"index": 0, "delta": {}, "finish_reason": "stop"}
            events.append({**chunk, "choices": [last]})
            self._sse(events)
        elif mode == "jsononly" and (
            request.get("tools")
            or (request.get("response_format") or {}).get("type") != "json_object"
        ):  # an endpoint with JSON mode only: no json_schema, no tools, JSON mode required
            self._json(400, {"error": {"message": "only response_format json_object"}})
        elif mode == "jsononly":
            self._json(200, completion('Sure: {"city": "Paris", "country": "France"}'))
        elif mode == "tools" and request.get("tools"):
            name = request["tools"][0]["function"]["name"]
            args = {"query": "science fiction"} if name != "City" else {"city": "Paris"}
            if name == "City":
                args["country"] = "France"
            self._json(200, completion(None, [tool_call(name, args)]))
        elif (request.get("response_format") or {}).get("type") == "json_schema":
            self._json(200, completion('{"city": "Paris", "country": "France"}'))
        else:
            self._json(200, completion("".join(WORDS)))


@contextmanager
def scripted_endpoint() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(root URL, the requests it received); use f"{root}/<mode>/v1" as base_url."""
    requests: list[dict[str, Any]] = []
    handler = type("Handler", (_Handler,), {"requests": requests})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    finally:
        httpd.shutdown()
        httpd.server_close()
