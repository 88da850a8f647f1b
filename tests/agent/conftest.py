"""Fixtures for the agent's LLM tests: the real embedded model, converted and loaded once per
test session, and the real OpenAI-compatible server in front of it on a free loopback port.

Every test gets its own CONVREC_HOME (tests/conftest.py), so CONVREC_LLM_CACHE_DIR points all
of them at one session-wide model cache: the GGUF is converted once per session.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def shared_llm_cache(isolated_env, llm_cache_dir, monkeypatch) -> Path:
    monkeypatch.setenv("CONVREC_LLM_CACHE_DIR", str(llm_cache_dir))
    return llm_cache_dir


@pytest.fixture(scope="session")
def local_llm(llm_cache_dir):
    """The embedded SmolLM2-135M-Instruct (what get_llm() returns with default settings)."""
    from convrec.config import Settings
    from convrec.llm.factory import get_llm

    settings = Settings(home=llm_cache_dir.parent / "llm-home", llm_cache_dir=llm_cache_dir)
    return get_llm(settings, backend="local")


@pytest.fixture(scope="session")
def openai_server(local_llm) -> Iterator[str]:
    """Base URL (http://127.0.0.1:PORT/v1) of `convrec llm serve`'s server over the local model."""
    from convrec.llm.server import LlmServer

    server = LlmServer(local_llm, host="127.0.0.1", port=0)
    url = server.start()
    yield url
    server.stop()


def free_port() -> int:
    """A loopback port nothing listens on (connecting to it is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _completion(content: str | None, tool_args: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_args is not None:
        message["tool_calls"] = [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "City", "arguments": tool_args},
            }
        ]
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": 0,
        "model": "stub",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
    }


class _StubHandler(BaseHTTPRequestHandler):
    """A misbehaving endpoint; the first path segment picks how: /<mode>/v1/..."""

    protocol_version = "HTTP/1.1"

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

    def do_GET(self) -> None:
        mode = self.path.strip("/").split("/")[0]
        if mode == "text":
            self._send(200, b"<html>not an API</html>", "text/html")
        elif mode == "slow":
            time.sleep(3)
            self._json(200, {"object": "list", "data": []})
        else:
            self._json(404, {"error": {"message": "no /models here"}})

    def do_POST(self) -> None:
        mode = self.path.strip("/").split("/")[0]
        length = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(length) or b"{}")
        if mode == "text":  # 200 with a body that is not JSON at all
            self._send(200, b"hello, I am not JSON", "text/plain")
        elif mode == "wrongjson":  # JSON, but not a chat completion
            self._json(200, {"foo": 1})
        elif mode == "notschema":  # a completion whose content does not fit any schema
            self._json(200, _completion('{"unexpected": true}'))
        elif mode == "slow":
            time.sleep(3)
            self._json(200, _completion("late"))
        elif mode == "error500":
            self._json(500, {"error": {"message": "the model crashed"}})
        elif mode == "badstream":
            body = b"data: {this is not json\n\n"
            self._send(200, body, "text/event-stream")
        elif mode == "picky":  # no response_format json_schema, but function calling works
            fmt = request.get("response_format") or {}
            if fmt.get("type") == "json_schema":
                self._json(400, {"error": {"message": "response_format json_schema unsupported"}})
            elif request.get("tools"):
                self._json(200, _completion(None, '{"city": "Paris", "country": "France"}'))
            else:
                self._json(200, _completion("Paris"))
        else:
            self._json(404, {"error": {"message": f"unknown mode {mode}"}})


@pytest.fixture(scope="session")
def stub_server() -> Iterator[str]:
    """Root URL of a misbehaving endpoint: use f"{stub_server}/<mode>/v1" as base_url."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _StubHandler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
