"""LangSmith tracing: off by default (nothing recorded, LangSmith never contacted), on by its
standard environment variables. Each case runs the openai backend in a fresh process (langsmith
reads the environment once per process) against the scripted endpoint, with LANGSMITH_ENDPOINT
pointing at a fake LangSmith on loopback that records every request."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from convrec.llm.tracing import tracing_enabled, tracing_project

REPO = Path(__file__).resolve().parents[2]

CHILD = """
import json
from convrec.llm.openai_api import OpenAiLlm
from convrec.llm.tracing import flush_traces, tracing_enabled
llm = OpenAiLlm(base_url=BASE_URL, model="m", timeout_s=10.0, max_retries=0)
text = llm.complete([{"role": "user", "content": "What is the capital of France?"}])
flush_traces()
from langchain_core.tracers.langchain import wait_for_all_tracers
wait_for_all_tracers()
print(json.dumps({"text": text, "tracing": bool(tracing_enabled())}))
"""


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, str, bytes]]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.seen.append((method, self.path, body))
        data = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_PATCH(self) -> None:
        self._answer("PATCH")


@pytest.fixture
def fake_langsmith() -> Iterator[tuple[str, list[tuple[str, str, bytes]]]]:
    seen: list[tuple[str, str, bytes]] = []
    handler = type("Recorder", (_Recorder,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()
    httpd.server_close()


def run_child(base_url: str, env: dict[str, str]) -> dict[str, Any]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LANGSMITH_", "LANGCHAIN_", "CONVREC_", "OPENAI_"))
    }
    clean["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), clean.get("PYTHONPATH")]))
    code = f"BASE_URL = {base_url!r}\n{CHILD}"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_the_rule_is_langsmiths():
    assert not tracing_enabled({})
    assert not tracing_enabled({"LANGSMITH_API_KEY": "k", "LANGSMITH_PROJECT": "p"})
    assert tracing_enabled({"LANGSMITH_TRACING": "true"})
    assert tracing_enabled({"LANGCHAIN_TRACING_V2": "true"})
    assert not tracing_enabled({"LANGSMITH_TRACING": "1"})  # langsmith wants exactly "true"
    assert not tracing_enabled({"LANGSMITH_TRACING_V2": "false", "LANGSMITH_TRACING": "true"})
    assert tracing_project({"LANGSMITH_TRACING": "true", "LANGSMITH_PROJECT": "p"}) == "p"
    assert tracing_project({}) is None


def test_tracing_is_off_by_default(stub_server, fake_langsmith):
    """Without the variables nothing reaches LangSmith, even with its endpoint and a key set."""
    endpoint, seen = fake_langsmith
    result = run_child(
        f"{stub_server}/picky/v1",
        {"LANGSMITH_ENDPOINT": endpoint, "LANGSMITH_API_KEY": "test-key"},
    )
    assert result == {"text": "Paris", "tracing": False}
    assert seen == []


def test_the_variables_turn_tracing_on(stub_server, fake_langsmith):
    endpoint, seen = fake_langsmith
    result = run_child(
        f"{stub_server}/picky/v1",
        {
            "LANGSMITH_TRACING": "true",
            "LANGSMITH_ENDPOINT": endpoint,
            "LANGSMITH_API_KEY": "test-key",
            "LANGSMITH_PROJECT": "convrec-tests",
        },
    )
    assert result == {"text": "Paris", "tracing": True}
    posted = b"".join(body for method, path, body in seen if "/runs" in path)
    assert posted, f"no runs posted: {[(m, p) for m, p, _ in seen]}"
    assert b"EndpointChatOpenAI" in posted or b"ChatOpenAI" in posted
    assert b"convrec-tests" in posted
    assert b"capital of France" in posted and b"Paris" in posted
