"""An API model's reply goes through the claim checker too: a scripted OpenAI-compatible
server on loopback (the real openai client, the real respond code) writes replies that name
every verified film, with or without an invented plot. Invented text is never shown."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from convrec.agent.ledger import Ledger, LedgerUpdate
from convrec.agent.respond import Card, recommend_reply
from convrec.agent.service import Agent
from convrec.agent.understanding import Extraction
from convrec.config import get_settings
from convrec.llm.openai_api import OpenAiLlm
from convrec.prompts import load_prompt
from convrec.tools.context import ToolContext

pytestmark = pytest.mark.integration

REQUEST = "some documentaries"
PLOT = "Each one follows a family's struggle to survive in a post-apocalyptic world."
HONEST_INTRO = "Here are some documentary films you might enjoy."
FACT = re.compile(r"^- (.+?): ", re.M)


def full_reply(facts: str, *, invent: bool) -> str:
    films = ", ".join(FACT.findall(facts))
    return f"Here are some documentaries you might enjoy: {films}." + (f" {PLOT}" if invent
                                                                      else "")


class Scripted(BaseHTTPRequestHandler):
    """/<mode>/v1/chat/completions: mode 'invented' (full reply and intro both invent a plot),
    'intro' (the full reply invents, the streamed intro does not), 'honest' (no invention)."""

    protocol_version = "HTTP/1.1"
    requests: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        mode = self.path.strip("/").split("/")[0]
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        Scripted.requests.append({"mode": mode, **request})
        system, user = request["messages"][0]["content"], request["messages"][-1]["content"]
        if system == load_prompt("reply_system"):
            text = full_reply(user, invent=mode != "honest")
        else:
            text = PLOT if mode == "invented" else HONEST_INTRO
        if not request.get("stream"):
            message = {"role": "assistant", "content": text}
            self._send(json.dumps({
                "id": "s", "object": "chat.completion", "created": 0, "model": "scripted",
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            }).encode(), "application/json")
            return
        chunks = [text[i:i + 12] for i in range(0, len(text), 12)]
        body = "".join(
            "data: " + json.dumps({
                "id": "s", "object": "chat.completion.chunk", "created": 0, "model": "scripted",
                "choices": [{"index": 0, "delta": {"content": c}, "finish_reason": None}],
            }) + "\n\n" for c in chunks) + "data: [DONE]\n\n"
        self._send(body.encode(), "text/event-stream")


@pytest.fixture(scope="module")
def scripted() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def turn(real_resources, tmp_path_factory):
    """A real recommendation turn (templates only): its verified cards and ledger."""
    settings = get_settings(sessions_path=tmp_path_factory.mktemp("api") / "s.sqlite")
    agent = Agent(settings, resources=real_resources, use_llm=False)
    result = agent.turn(REQUEST, thread_id="api-1")
    assert result.act == "recommend" and result.cards
    return ([Card.model_validate(c) for c in result.cards], Ledger.model_validate(result.ledger))


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def token(self, text: str) -> None:
        self.events.append(("token", text))

    def reset(self) -> None:
        self.events.append(("reset", ""))

    def shown(self) -> str:
        text = ""
        for kind, piece in self.events:
            text = "" if kind == "reset" else text + piece
        return text


def reply(scripted, mode, turn, real_resources):
    cards, ledger = turn
    llm = OpenAiLlm(base_url=f"{scripted}/{mode}/v1", model="scripted", timeout_s=10,
                    max_retries=0)
    sink = Recorder()
    extraction = Extraction(text=REQUEST, update=LedgerUpdate(), user_act="request")
    out = recommend_reply(list(cards), ledger, extraction, ToolContext(real_resources), llm,
                          sink)
    return out, sink


def test_a_full_reply_with_an_invented_plot_is_not_shown(scripted, turn, real_resources,
                                                         caplog):
    Scripted.requests.clear()
    with caplog.at_level(logging.INFO, logger="convrec.agent.reply_llm"):
        out, sink = reply(scripted, "invented", turn, real_resources)
    assert [r["mode"] for r in Scripted.requests] == ["invented", "invented"]  # full, intro
    assert out.source == "template" and "post-apocalyptic" not in out.text
    assert all(c.title in out.text for c in turn[0])
    assert "full reply dropped: unsupported claims" in caplog.text
    assert "post-apocalyptic" in caplog.text  # the log says why
    # the streamed intro invented the same plot: it was taken back by a reset
    assert ("reset", "") in sink.events and "post-apocalyptic" not in sink.shown()


def test_the_intro_path_takes_over_when_only_the_full_reply_invents(scripted, turn,
                                                                   real_resources):
    out, sink = reply(scripted, "intro", turn, real_resources)
    assert out.source == "llm-intro" and out.written == HONEST_INTRO
    assert out.text.startswith(HONEST_INTRO) and "post-apocalyptic" not in out.text
    assert sink.shown().strip() == out.text.strip()


def test_an_honest_full_reply_is_shown(scripted, turn, real_resources):
    out, sink = reply(scripted, "honest", turn, real_resources)
    assert out.source == "llm" and out.text == out.written == sink.shown()
    assert all(c.title in out.text for c in turn[0])
