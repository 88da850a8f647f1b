"""A small OpenAI-compatible HTTP server in front of any `Llm` (normally the embedded one), so
the `openai` backend, LangChain, or any OpenAI client can use the local model.

Speaks: ``POST /v1/chat/completions`` (plain, or ``"stream": true`` as server-sent events
ending in ``data: [DONE]``; ``response_format`` json_object / json_schema are honoured on a
best-effort basis: the model is prompted for the JSON, which is validated, and repaired once),
``GET /v1/models`` and ``GET /health``. ``tools`` are accepted and answered without tool calls
(the model answers in text, as any model may under tool_choice auto); forcing a tool call is a
400 (`convrec.llm.server_requests.check_tools`). The standard library's threading HTTP server:
one thread per connection; the local model decodes one request at a time. A client that hangs
up mid-stream stops the decoding. Binds 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Generator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from convrec.llm.json_output import json_schema_validator
from convrec.llm.server_requests import BadRequest, ChatRequest
from convrec.llm.types import Llm, LlmError, LlmOutputError, LlmUnavailable, Message, one_line

log = logging.getLogger(__name__)

MAX_BODY = 4 * 1024 * 1024


def served_name(llm: Llm) -> str:
    """The model id clients see: the Llm's name without its backend prefix."""
    name = llm.name.split(":", 1)[-1]
    return name.split("@", 1)[0]


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that vanished mid-reply is routine; nothing to print to stderr.
        log.debug("connection from %s failed", client_address, exc_info=True)


class LlmServer:
    """Serves `llm` over HTTP. `start()` runs it in a background thread (tests), or
    `serve_forever()` in this one (the CLI)."""

    def __init__(self, llm: Llm, host: str = "127.0.0.1", port: int = 8011) -> None:
        self.llm = llm
        handler = type("Handler", (_Handler,), {"server_app": self})
        try:
            self.httpd = _HttpServer((host, port), handler)
        except OSError as exc:
            raise LlmError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        self._thread: threading.Thread | None = None

    @property
    def model_id(self) -> str:
        return served_name(self.llm)  # read each time: an endpoint's model is found lazily

    @property
    def host(self) -> str:
        return str(self.httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """What an OpenAI client takes as base_url."""
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> str:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="convrec-llm-server", daemon=True
        )
        self._thread.start()
        return self.base_url

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    # ------------------------------------------------------------------ answers

    def models(self) -> dict[str, Any]:
        return {
            "object": "list",
            "data": [{"id": self.model_id, "object": "model", "created": 0, "owned_by": "convrec"}],
        }

    def health(self) -> tuple[int, dict[str, Any]]:
        state = self.llm.health()
        body = {
            "status": "ok" if state.ok else "unavailable",
            "model": self.model_id,
            "detail": state.detail,
            "latency_ms": state.latency_ms,
        }
        return (200 if state.ok else 503), body

    def json_reply(self, request: ChatRequest) -> str:
        """The JSON text for a response_format request: validated, else the raw attempt."""
        complete_json = getattr(self.llm, "complete_json", None)
        if complete_json is None:  # an Llm without the JSON helpers: best effort
            return self.llm.complete(request.messages, max_tokens=request.max_tokens)
        try:
            value = complete_json(
                request.messages,
                request.json_schema,
                json_schema_validator(request.json_schema),
                max_tokens=request.max_tokens,
            )
        except LlmOutputError as exc:
            # Best effort, like a server without constrained decoding: say so, let the
            # client's validation decide.
            log.info("JSON reply failed validation: %s", exc)
            return json.dumps({"error": str(exc)})
        return json.dumps(value)

    def usage(self, prompt: list[Message], text: str) -> dict[str, int] | None:
        count = getattr(self.llm, "count_tokens", None)
        prompt_ids = getattr(self.llm, "prompt_ids", None)
        if count is None:
            return None
        if prompt_ids is not None:
            prompt_tokens = len(prompt_ids(prompt))
        else:
            prompt_tokens = sum(count(m["content"]) for m in prompt)
        completion_tokens = count(text)
        return {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }


def _completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


class _Handler(BaseHTTPRequestHandler):
    server_app: LlmServer
    protocol_version = "HTTP/1.1"
    server_version = "convrec-llm/1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    # ------------------------------------------------------------------ io

    def _send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, status: int, message: str, kind: str) -> None:
        self._send_json(
            status, {"error": {"message": message, "type": kind, "param": None, "code": None}}
        )

    def _read_body(self) -> Any:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            raise BadRequest("a Content-Length header is required", HTTPStatus.LENGTH_REQUIRED)
        size = int(length)
        if size > MAX_BODY:
            self.close_connection = True
            raise BadRequest("the request body is too large", HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        raw = self.rfile.read(size)
        try:
            return json.loads(raw)
        except ValueError:
            raise BadRequest("the request body is not valid JSON") from None

    def _path(self) -> str:
        return self.path.split("?", 1)[0].rstrip("/") or "/"

    # ------------------------------------------------------------------ routes

    def do_GET(self) -> None:
        path = self._path()
        if path in ("/v1/models", "/models"):
            self._send_json(200, self.server_app.models())
        elif path == "/health":
            status, body = self.server_app.health()
            self._send_json(status, body)
        else:
            self._send_error(404, f"no route GET {path}", "not_found")

    def do_POST(self) -> None:
        path = self._path()
        try:
            body = self._read_body()
            if path not in ("/v1/chat/completions", "/chat/completions"):
                raise BadRequest(f"no route POST {path}", 404)
            request = ChatRequest(body)
            if request.stream:
                self._stream(request)
            else:
                self._complete(request)
        except BadRequest as exc:
            self._send_error(exc.status, str(exc), "invalid_request_error")
        except LlmUnavailable as exc:
            self._send_error(503, str(exc), "unavailable")
        except LlmError as exc:
            self._send_error(500, str(exc), "server_error")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:  # keep serving; say what broke
            log.exception("chat completion failed")
            self._send_error(500, f"{type(exc).__name__}: {one_line(exc)}", "server_error")

    def _complete(self, request: ChatRequest) -> None:
        app = self.server_app
        if request.json_mode:
            text = app.json_reply(request)
        else:
            text = app.llm.complete(
                request.messages,
                max_tokens=request.max_tokens,
                temperature=request.temperature,
                stop=request.stop,
            )
        usage = app.usage(request.messages, text)
        finish = "length" if usage and usage["completion_tokens"] >= request.max_tokens else "stop"
        payload: dict[str, Any] = {
            "id": _completion_id(),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": app.model_id,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": finish,
                    "logprobs": None,
                }
            ],
        }
        if usage:
            payload["usage"] = usage
        self._send_json(200, payload)

    def _deltas(self, request: ChatRequest) -> Generator[str, None, None]:
        if request.json_mode:  # validated JSON needs the whole object: one delta
            yield self.server_app.json_reply(request)
            return
        yield from self.server_app.llm.stream(
            request.messages,
            max_tokens=request.max_tokens,
            temperature=request.temperature,
            stop=request.stop,
        )

    def _stream(self, request: ChatRequest) -> None:
        app = self.server_app
        ident, created = _completion_id(), int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            event = {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": app.model_id,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return f"data: {json.dumps(event)}\n\n".encode()

        deltas = self._deltas(request)
        try:
            first = next(deltas, None)  # errors before any output still get a proper status
        except BaseException:
            deltas.close()
            raise
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def send(data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        try:
            send(chunk({"role": "assistant", "content": ""}))
            if first is not None:
                send(chunk({"content": first}))
                for delta in deltas:
                    send(chunk({"content": delta}))
            send(chunk({}, "stop"))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client left: closing `deltas` stops decoding
            return
        except LlmError as exc:  # headers are out: report the error as an event
            send(f"data: {json.dumps({'error': {'message': str(exc)}})}\n\n".encode())
        finally:
            deltas.close()
        send(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
