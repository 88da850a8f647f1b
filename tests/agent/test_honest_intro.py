"""The embedded model's intro is chosen among grounded phrasings: over several requests, the
agent with the real SmolLM2 shows intros with no unsupported claim, and what it streamed is
what it shows. A free generation is shown only when the checker passes it."""

from __future__ import annotations

import pytest

from convrec.agent.claims import check_claims
from convrec.agent.ledger import Ledger
from convrec.agent.reply_llm import free_intro, generate_intro, turn_grounds
from convrec.agent.respond import Card
from convrec.agent.service import Agent
from convrec.config import get_settings
from convrec.tools.context import ToolContext

pytestmark = pytest.mark.integration

REQUESTS = [
    "a comedy from the 90s",
    "something like Alien but newer",
    "a French film, no horror",
    "documentaries about music",
    "a western with Clint Eastwood",
    "a romantic comedy with Tom Hanks",
]


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


@pytest.fixture(scope="module")
def turns(real_resources, local_llm, tmp_path_factory):
    settings = get_settings(sessions_path=tmp_path_factory.mktemp("honest") / "s.sqlite")
    agent = Agent(settings, resources=real_resources, llm=local_llm)
    out = []
    for n, text in enumerate(REQUESTS):
        events = list(agent.stream(text, thread_id=f"honest-{n}", user_id=None))
        out.append((events, events[-1]["result"]))
    return out


def grounds_of(result, ctx):
    ledger = Ledger.model_validate(result.ledger)
    cards = [Card.model_validate(c) for c in result.cards]
    return ledger, cards, turn_grounds(ledger, cards, result.message, ctx)


def test_intros_over_several_requests_make_no_unsupported_claim(turns, real_resources):
    ctx = ToolContext(real_resources)
    written = 0
    for _, result in turns:
        assert result.act == "recommend" and result.cards, result.message
        *_, grounds = grounds_of(result, ctx)
        check = check_claims(result.reply, grounds)  # the whole reply, list included
        assert check.ok, (result.message, check.describe())
        if result.reply_source == "llm-intro":
            written += 1
            assert result.reply_written and result.reply_written in result.reply.split("\n")[0]
            assert check_claims(result.reply_written, grounds).claims
            assert result.timings_ms["intro"] > 0
    assert written >= len(REQUESTS) - 1  # the model wrote (chose) nearly every intro


def test_what_was_streamed_is_what_is_shown(turns):
    for events, result in turns:
        text = ""
        for event in events:
            if event["event"] == "reset":
                text = ""
            elif event["event"] == "token":
                text += event["text"]
        assert text.strip() == result.reply.strip()


def test_the_checker_is_not_vacuous_on_the_models_own_sentences(turns, real_resources,
                                                               local_llm):
    """The free generations of the same turns: the checker reads real claims in them, and
    free_intro keeps one only when it has none (else a reset takes back what was streamed)."""
    ctx = ToolContext(real_resources)
    caught = 0
    for _, result in turns[:3]:
        ledger, _, grounds = grounds_of(result, ctx)
        caught += not check_claims(generate_intro(ledger, local_llm), grounds).ok
        sink = Recorder()
        kept = free_intro(ledger, grounds, local_llm, sink, ctx)
        if kept is None:
            assert sink.events and sink.events[-1] == ("reset", "") and sink.shown() == ""
        else:
            assert check_claims(kept.text, grounds).ok and sink.shown().strip() == kept.text
    assert caught >= 1
