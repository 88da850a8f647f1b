"""A capable model splits a request into parts with structured output (through the real
ChatOpenAI path, against a scripted OpenAI-compatible server); a split that rewords the
user is refused and the rules decide; both give the same typed goals."""

from __future__ import annotations

import json

import pytest

from convrec.agent.goals.decompose import decompose
from convrec.agent.ledger import Ledger
from convrec.agent.understanding import get_extractor
from convrec.prompts import load_prompt
from convrec.tools.context import ToolContext
from tests.agent.scripted_model import ScriptedModel, capable_llm, scripted_server

pytestmark = pytest.mark.integration


class Splitter(ScriptedModel):
    """Answers the goal-splitting request with `parts`; anything else as a plain model."""

    def __init__(self, parts: dict[str, object] | str) -> None:
        super().__init__([])
        self.parts = parts
        self.split_requests = 0

    def answer(self, request):
        system = (request.get("messages") or [{}])[0].get("content") or ""
        if load_prompt("goals_system") in system:
            self.split_requests += 1
            content = self.parts if isinstance(self.parts, str) else json.dumps(self.parts)
            return {"role": "assistant", "content": content}
        return super().answer(request)


@pytest.fixture(scope="module")
def extract(real_resources):
    extractor = get_extractor(ToolContext(real_resources))
    return lambda text: extractor.extract(text, Ledger()).update


def test_a_capable_model_splits_in_the_users_words(extract):
    text = "my brother is into heist films while my mum would rather have a period romance"
    model = Splitter({"shared": "", "parts": ["heist films", "a period romance"]})
    with scripted_server(model) as url:
        plan, _ = decompose(text, extract, llm=capable_llm(url))
    assert model.split_requests == 1
    assert plan is not None and plan.source == "llm"
    assert [g.text for g in plan.goals] == ["heist films", "a period romance"]
    assert "Romance" in plan.goals[1].update.genres_include


@pytest.mark.parametrize("answer", [
    {"shared": "", "parts": ["an animated movie", "a war drama"]},  # reworded: not said
    {"shared": "", "parts": ["a cartoon for my nephew"]},  # one part only
    "this is not JSON",
])
def test_a_reworded_or_broken_split_leaves_it_to_the_rules(extract, answer):
    text = "a cartoon for my nephew and a war drama for my dad"
    with scripted_server(Splitter(answer)) as url:
        plan, _ = decompose(text, extract, llm=capable_llm(url))
    assert plan is not None and plan.source == "rules"
    assert [g.text for g in plan.goals] == ["a cartoon for my nephew", "a war drama for my dad"]


def test_a_plain_request_costs_no_split_call(extract):
    model = Splitter({"shared": "", "parts": ["x", "y"]})
    with scripted_server(model) as url:
        plan, words = decompose("a 90s comedy", extract, llm=capable_llm(url))
    assert plan is None and words == "a 90s comedy" and model.split_requests == 0
