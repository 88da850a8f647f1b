"""A deadline on a whole HTTP response from an LLM endpoint, not only between its bytes.

httpx's timeouts bound each wait for a byte: a server that keeps sending (an endless
stream, a body that never ends) is never timed out. `DeadlineTransport` cuts a response
still arriving at its deadline with `httpx.ReadTimeout` (which the openai client and our
error mapping read as "did not answer within N s"):

- an ordinary request: its timeout (the request's own read timeout);
- a streamed request (``"stream": true``): `STREAM_FACTOR` times that, since tokens of a
  long reply legitimately arrive over a while;
- inside a turn (`convrec.llm.turn_budget`): never after the turn's LLM budget ends, and no
  request at all once it has; a server's Retry-After is dropped there, so the openai
  client's retries sleep its own short back-off, not as long as the server asks.
"""

from __future__ import annotations

import functools
import importlib
import json
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from convrec.llm.turn_budget import current_budget

STREAM_FACTOR = 4.0
RETRY_AFTER = ("retry-after", "retry-after-ms")


@functools.cache
def http_module() -> ModuleType:
    """The HTTP library the openai client speaks (httpx, or its fork httpx2)."""
    import openai  # deferred: openai takes ~3 s to import

    for cls in openai.DefaultHttpxClient.__mro__:
        root = cls.__module__.partition(".")[0]
        if root.startswith("httpx"):
            return importlib.import_module(root)
    return importlib.import_module("httpx")


def _streamed(request: Any) -> bool:
    try:
        return bool(json.loads(request.content or b"{}").get("stream"))
    except Exception:  # a streamed upload, or not JSON: not a streamed reply
        return False


@functools.cache
def _classes() -> tuple[type, type]:
    http = http_module()

    class DeadlineStream(http.SyncByteStream):  # type: ignore[name-defined]
        def __init__(self, inner: Any, deadline: float, seconds: float) -> None:
            self.inner = inner
            self.deadline = deadline
            self.seconds = seconds

        def __iter__(self) -> Iterator[bytes]:
            for chunk in self.inner:
                if time.monotonic() > self.deadline:
                    raise http.ReadTimeout(
                        f"the response did not finish within {self.seconds:g} s")
                yield chunk

        def close(self) -> None:
            close = getattr(self.inner, "close", None)
            if close is not None:
                close()

    class DeadlineTransport(http.BaseTransport):  # type: ignore[name-defined]
        """The default transport with a deadline on each whole response (see the module)."""

        def __init__(self) -> None:
            self.inner = http.HTTPTransport()

        def handle_request(self, request: Any) -> Any:
            timeouts = request.extensions.get("timeout") or {}
            seconds = float(timeouts.get("read") or timeouts.get("connect") or 600.0)
            if _streamed(request):
                seconds *= STREAM_FACTOR
            budget = current_budget()
            if budget is not None:
                left = budget.remaining()
                if left <= 0:
                    raise http.ReadTimeout(
                        f"the turn's LLM budget of {budget.seconds:g} s is spent",
                        request=request)
                seconds = min(seconds, left)
            deadline = time.monotonic() + seconds
            response = self.inner.handle_request(request)
            headers = response.headers
            if budget is not None:  # the client's own short back-off, not the server's
                headers = http.Headers([(k, v) for k, v in headers.multi_items()
                                        if k.lower() not in RETRY_AFTER])
            return http.Response(status_code=response.status_code, headers=headers,
                                 stream=DeadlineStream(response.stream, deadline, seconds),
                                 extensions=response.extensions, request=request)

        def close(self) -> None:
            self.inner.close()

    return DeadlineStream, DeadlineTransport


def deadline_transport() -> Any:
    """A transport for the openai client's HTTP client with a deadline on each response."""
    return _classes()[1]()
