"""A faulty OpenAI-compatible endpoint on loopback: the first path segment picks the fault,
``/<mode>/v1/chat/completions``. It counts the chat requests it receives per mode.

Modes: ``hang`` (reads the request, never answers), ``slow`` (a valid answer after
`SLOW_S`), ``text`` (200, not JSON), ``wrongjson`` (JSON, not a completion), ``noschema``
(a completion whose content fits no schema), ``error500`` (HTTP 500 with a Retry-After of
a minute), ``truncated`` (a body shorter than its Content-Length, a stream cut mid-event),
``endless`` (a body or an event stream that never ends, a few bytes at a time).
"Down" is a free port with nothing listening (`free_port`).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES = ("hang", "slow", "text", "wrongjson", "noschema", "error500", "truncated", "endless")
SLOW_S = 30.0  # longer than any timeout the tests configure


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _completion(content: str) -> dict[str, Any]:
    return {"id": "c", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": "stop"}]}


def _chunk(text: str) -> bytes:
    event = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
             "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
    return f"data: {json.dumps(event)}\n\n".encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    counts: Counter[str]
    stop: threading.Event

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json",
              length: int | None = None, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def do_GET(self) -> None:
        self._send(200, json.dumps({"object": "list", "data": [{"id": "m"}]}).encode())

    def do_POST(self) -> None:
        mode = self.path.strip("/").split("/")[0]
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        type(self).counts[mode] += 1
        stream = bool(request.get("stream"))
        try:
            self._fault(mode, stream)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up: as it should
            self.close_connection = True

    def _fault(self, mode: str, stream: bool) -> None:
        if mode in ("hang", "slow"):
            type(self).stop.wait(SLOW_S)
            if mode == "slow" and not type(self).stop.is_set():
                self._send(200, json.dumps(_completion("late")).encode())
            self.close_connection = True
        elif mode == "text":
            self._send(200, b"hello, I am not JSON", "text/plain")
        elif mode == "wrongjson":
            self._send(200, b'{"foo": [1, 2, {"bar": null}]}')
        elif mode == "noschema":
            self._send(200, json.dumps(_completion('{"unexpected": true}')).encode())
        elif mode == "error500":
            self._send(500, b'{"error": {"message": "the model crashed"}}',
                       headers={"Retry-After": "60"})
        elif mode == "truncated":
            body = _chunk("Here are") + b"data: {\"id\": \"c\", \"choi" if stream else \
                json.dumps(_completion("Here are some films"))[:40].encode()
            self._send(200, body, "text/event-stream" if stream else "application/json",
                       length=len(body) + 100)
            self.close_connection = True
        elif mode == "endless":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream" if stream
                             else "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            piece = _chunk("la ") if stream else b" "
            while not type(self).stop.is_set():
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                self.wfile.flush()
                time.sleep(0.05)
            self.close_connection = True
        else:
            self._send(404, b'{"error": {"message": "unknown mode"}}')


@contextmanager
def fault_endpoint() -> Iterator[tuple[str, Counter[str]]]:
    """(root URL, chat requests received per mode); use f"{root}/<mode>/v1" as base_url."""
    counts: Counter[str] = Counter()
    stop = threading.Event()
    handler = type("Handler", (_Handler,), {"counts": counts, "stop": stop})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", counts
    finally:
        stop.set()
        httpd.shutdown()
        httpd.server_close()
