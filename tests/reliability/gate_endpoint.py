"""An OpenAI-compatible endpoint on loopback (tests/llm/scripted_endpoint.py's answers) that
can be told to hold every request until released: a turn of an app pointed at it stops in
the middle, at the model call, for as long as a test needs (to kill the app there)."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from tests.llm.scripted_endpoint import _Handler


@dataclass
class Gate:
    url: str = ""
    holding: threading.Event = field(default_factory=threading.Event)
    streamed_only: bool = False
    held: threading.Event = field(default_factory=threading.Event)  # a request is waiting
    released: threading.Event = field(default_factory=threading.Event)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def hold(self, *, streamed_only: bool = False) -> None:
        """Hold the requests from now on (with `streamed_only`, only streamed ones: the
        reply's phrasing, the turn's last model call)."""
        self.streamed_only = streamed_only
        self.released.clear()
        self.held.clear()
        self.holding.set()

    def release(self) -> None:
        self.holding.clear()
        self.released.set()


@contextmanager
def gate_endpoint() -> Iterator[Gate]:
    """A Gate whose `url` is the base URL (…/v1) of the endpoint."""
    gate = Gate()

    class Handler(_Handler):
        requests = gate.requests

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            streamed = b'"stream": true' in body or b'"stream":true' in body
            if gate.holding.is_set() and (streamed or not gate.streamed_only):
                gate.held.set()
                gate.released.wait(300)
            self.rfile = io.BytesIO(body)
            super().do_POST()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    gate.url = f"http://127.0.0.1:{httpd.server_address[1]}/plain/v1"
    try:
        yield gate
    finally:
        gate.release()
        httpd.shutdown()
        httpd.server_close()
