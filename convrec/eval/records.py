"""What a simulated dialogue leaves behind: one `DialogueRecord` per (system, scenario), a line
of a run's dialogues.jsonl. Metrics, reports and comparisons read only these records, so a
run can be re-scored, resumed or compared without re-running anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, Field

from convrec.errors import ConvrecError

Source = Literal["movielens", "critics", "redial"]
Split = Literal["dev", "test"]
EndedBy = Literal["accept", "gave_up", "max_turns", "error"]


class Scenario(BaseModel):
    """One simulated user: a hidden target and what the user brings to the conversation."""

    id: str = Field(description="Stable key, e.g. 'movielens:414:2959'.")
    source: Source
    split: Split
    user_id: str | None = Field(
        default=None, description="'ml:<id>' or 'critic:<name>' the agent runs as; None for ReDial."
    )
    target_ids: list[int] = Field(min_length=1, description="Catalog ids; any one is a hit.")
    liked_ids: list[int] = Field(
        default_factory=list,
        description="Films the user liked (their history, or the films a ReDial seeker said they "
        "liked): what they name when asked for a film they enjoyed.",
    )
    opening: str | None = Field(
        default=None, description="The first message, when the source has one (ReDial)."
    )


class TurnRecord(BaseModel):
    """One exchange: the simulated user's message and the system's answer to it."""

    index: int = Field(ge=1)
    user: str
    act: str = ""
    item_ids: list[int] = Field(default_factory=list)
    reply: str = ""
    latency_ms: float = 0.0
    hit_rank: int | None = Field(
        default=None, description="1-based rank of the first target in item_ids, if any."
    )
    violations: dict[int, list[str]] = Field(
        default_factory=dict,
        description="Films breaking a hard constraint the user had stated by this turn.",
    )
    repeats: list[int] = Field(
        default_factory=list, description="Films shown before in this dialogue."
    )
    out_of_catalog: list[int] = Field(default_factory=list)
    feedback: str = Field(
        default="", description="What the simulated user made of it: accept, reject, answer, "
        "bye (gave up) or end (out of turns)."
    )
    trace: list[str] = Field(default_factory=list)


class DialogueRecord(BaseModel):
    system: str = Field(description="'agent:local', 'popularity', 'bm25', ...")
    scenario: Scenario
    persona: str
    simulator: str = Field(description="'template' or 'llm:<model>'")
    simulator_fallbacks: int = Field(
        default=0, description="LLM simulator: messages replaced by the template's (the model's "
        "message was empty, overlong or left out a fact it had to say).")
    seed: int
    max_turns: int
    turns: list[TurnRecord] = Field(default_factory=list)
    success: bool = False
    success_turn: int | None = None
    ended_by: EndedBy = "max_turns"
    leaked: bool = Field(
        default=False,
        description="A simulator message named the target: the dialogue is dropped from metrics.",
    )
    leak_detail: str = ""
    stated: dict[str, object] = Field(
        default_factory=dict,
        description="The hard constraints the simulated user had stated by the end.",
    )
    error: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.system, self.scenario.id


RecordT = TypeVar("RecordT", bound=BaseModel)


def read_jsonl(path: Path, model: type[RecordT], what: str) -> list[RecordT]:
    """The records of an append-only JSONL file; a torn last line (the writer was killed
    mid-write) is ignored, any other bad line is a one-line error."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            out.append(model.model_validate_json(line))
        except ValueError:
            if number == len(lines):
                break
            raise ConvrecError(f"{path}: line {number} is not {what}") from None
    return out
