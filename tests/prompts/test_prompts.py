"""Prompts live in convrec/prompts as files, loaded by name, and what the code sends to a model
is byte-identical to what it sent when the prompts were strings in the Python modules: the
expected texts below were captured from that code, with the same sample values, before the
prompts moved. A change to a prompt file shows here first; make it on purpose."""

from __future__ import annotations

import fnmatch
import random
import tomllib
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, Field

import convrec.prompts
from convrec.errors import ConvrecError
from convrec.prompts import (
    PromptError,
    load_prompt,
    load_prompt_data,
    prompt_names,
    render_prompt,
)
from tests.prompts.expected import (
    BENCH_SYSTEM,
    BENCH_USER,
    DESCRIBED_MOVES,
    FULL_REPLY,
    FULL_REPLY_EMPTY,
    INTRO,
    INTRO_EMPTY,
    JSON_INSTRUCTION,
    JSON_REPAIR,
    JSON_REPAIR_NOJSON,
    PLAN_SCORING,
    PLAN_STRUCTURED,
    PLAN_STRUCTURED_EMPTY,
    POLICY_PLANS,
    POLICY_PLANS_MIN,
    POLICY_ZERO,
    READING_SYSTEM,
    SIMULATOR_FIRST,
    SIMULATOR_HISTORY,
)

ROOT = Path(__file__).resolve().parents[2]
FOLDER = Path(convrec.prompts.__file__).parent

# ----------------------------------------------------------------------------- sample values


def sample_ledger():
    from convrec.agent.ledger import Ledger, PersonPref, Stamped, Wish

    return Ledger(genres_include={"Comedy": 1}, year_from=Stamped(value=1980, turn=1),
                  year_to=Stamped(value=1989, turn=1), liked={5: 1, 7: 1},
                  people_include={"tom hanks": PersonPref(name="Tom Hanks", turn=1)},
                  wishes=[Wish(text="a time travel {heist}", turn=1)])


def sample_state(**changes):
    from convrec.agent.policy import PolicyInput

    values = dict(turn=2, user_act="inform", question_resolved=True, slots=["genre", "era"],
                  hard_constraints=2, has_wish=True, liked_films=1, known_user=True,
                  candidates=420, candidate_genres=7, candidate_decades=3,
                  asked=["ask_mood", "ask_era"], shown=3, unresolved_titles=1,
                  rankers=["search_bm25", "search_dense", "rank_cf"])
    return PolicyInput(**{**values, **changes})


def sample_moves():
    from convrec.eval.moves import Move

    return [Move(kind="opening", detail="a scary film for tonight"),
            Move(kind="accept", position=2), Move(kind="reject"),
            Move(kind="flip", detail="Horror", value="Comedy"), Move(kind="flip", detail="Drama"),
            Move(kind="bye"), Move(kind="reveal", slot="era", value=1990),
            Move(kind="reveal", slot="person", value=("Steven Spielberg", "director")),
            Move(kind="accept", position=12)]


class City(BaseModel):
    """A city."""

    city: str = Field(description="The city's name")
    country: str | None = None
    kind: Literal["capital", "town"] = "town"
    tags: list[str] = Field(default_factory=list)


# ----------------------------------------------------------------------------- byte-identical


def test_the_planner_prompts_are_unchanged():
    from convrec.agent.ledger import Ledger
    from convrec.agent.plan import scoring_messages, state_line, structured_messages

    ledger = sample_ledger()
    assert scoring_messages(state_line(ledger, "ml:1")) == PLAN_SCORING
    assert structured_messages(state_line(ledger, None), ledger.query()) == PLAN_STRUCTURED
    empty = Ledger()
    assert structured_messages(state_line(empty, None), empty.query()) == PLAN_STRUCTURED_EMPTY


def test_the_reply_prompts_are_unchanged():
    from convrec.agent.respond import full_reply_messages, intro_messages

    wants = ", ".join(sample_ledger().describe())
    assert intro_messages(wants) == INTRO
    assert intro_messages("anything good") == INTRO_EMPTY
    facts = "- Big (1988): a Comedy with Tom Hanks\n- Splash (1984): a Comedy from 1984"
    assert full_reply_messages(wants, facts) == FULL_REPLY
    assert full_reply_messages("a good film", facts.split("\n")[0]) == FULL_REPLY_EMPTY


def test_the_reading_prompt_is_unchanged():
    from convrec.agent.refine import reading_messages

    text = "a funny film with {braces} " + "x" * 1100
    assert reading_messages(text) == [{"role": "system", "content": READING_SYSTEM},
                                      {"role": "user", "content": text[:1000]}]


def test_the_policy_prompts_are_unchanged():
    from convrec.agent.policy import policy_messages

    assert policy_messages(sample_state(), plans=True) == POLICY_PLANS
    assert policy_messages(sample_state(), plans=False) == POLICY_ZERO
    first = sample_state(turn=1, user_act="greeting", question_resolved=False, slots=[],
                         hard_constraints=0, has_wish=False, liked_films=0, known_user=False,
                         candidates=5000, candidate_genres=0, candidate_decades=0, asked=[],
                         shown=0, unresolved_titles=0, rankers=[])
    assert policy_messages(first, plans=True) == POLICY_PLANS_MIN


def test_the_simulated_user_prompts_are_unchanged():
    from convrec.eval.phrasers import LlmPhraser, describe_moves, simulator_messages

    moves = sample_moves()
    assert describe_moves(moves) == DESCRIBED_MOVES
    history = [("user", "hi"), ("agent", "Hello! What do you fancy?")] * 4
    assert simulator_messages(moves[:2], history) == SIMULATOR_HISTORY
    assert simulator_messages(moves[:1], []) == SIMULATOR_FIRST

    class Recorder:  # what the phraser really sends
        name = "recorder"

        def __init__(self):
            self.sent = []

        def complete(self, messages, **kwargs):
            self.sent.append(messages)
            return ""

    recorder = Recorder()
    LlmPhraser(recorder).phrase(moves[:1], [], random.Random(0))
    assert recorder.sent == [SIMULATOR_FIRST]


def test_the_json_prompts_are_unchanged():
    from convrec.llm.json_output import json_instruction, prompted_json

    assert json_instruction(City.model_json_schema()) == JSON_INSTRUCTION
    assert json_instruction(None) == "Answer with one JSON object and nothing else."
    for replies, question, schema, validate, expected in (
        (['{"city": 3}', '{"city": "Paris"}'], {"role": "user", "content": "Capital of France?"},
         City.model_json_schema(), City.model_validate, JSON_REPAIR),
        (["no json", '{"city": "Paris"}'], {"role": "system", "content": "sys"}, None, None,
         JSON_REPAIR_NOJSON),
    ):
        sent = []

        def generate(messages, budget, replies=replies, sent=sent):
            sent.append(messages)
            return replies[len(sent) - 1]

        prompted_json(generate, [question], schema, validate)
        assert sent[1] == expected


def test_the_bench_prompt_is_unchanged():
    from convrec.llm.bench import messages

    assert messages() == [{"role": "system", "content": BENCH_SYSTEM},
                          {"role": "user", "content": BENCH_USER}]
    assert load_prompt("bench_speed") == (
        "Write a long story about a robot who learns to paint, in many paragraphs.")


# ----------------------------------------------------------------------------- the loader


def test_an_unknown_prompt_is_a_one_line_error():
    with pytest.raises(PromptError) as caught:
        load_prompt("no_such_prompt")
    message = str(caught.value)
    assert isinstance(caught.value, ConvrecError) and "\n" not in message
    assert "no prompt named 'no_such_prompt'" in message and "plan_system" in message
    with pytest.raises(PromptError, match="bad prompt name"):
        load_prompt("../pyproject")
    with pytest.raises(PromptError, match="no prompt named"):
        load_prompt_data("plan_system")  # a text prompt, not JSON data


def test_a_missing_value_is_a_one_line_error():
    with pytest.raises(PromptError, match=r"prompt 'intro_user' needs a value for \{want\}"):
        render_prompt("intro_user")


def test_prompts_are_read_once_and_lose_only_their_final_newline():
    assert load_prompt("plan_system") is load_prompt("plan_system")
    for name in prompt_names():
        path = FOLDER / f"{name}.txt"
        if path.is_file():
            raw = path.read_text(encoding="utf-8")
            assert raw.endswith("\n") and not raw.endswith("\n\n"), name
            assert load_prompt(name) == raw[:-1]


def test_every_prompt_file_is_used_by_the_code():
    code = "\n".join(p.read_text() for p in (ROOT / "convrec").rglob("*.py"))
    unused = [name for name in prompt_names() if f'"{name}"' not in code]
    assert not unused, f"prompt files nothing loads: {unused}"


def test_the_prompt_files_ship_in_the_wheel():
    """pyproject's package-data for convrec.prompts covers every file there (the wheel and the
    sdist carry exactly those; the editable install reads them from the source tree)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["convrec.prompts"]
    files = [p.name for p in FOLDER.iterdir() if p.is_file() and p.suffix != ".py"]
    assert files and all(any(fnmatch.fnmatch(f, pat) for pat in patterns) for f in files), (
        files, patterns)
