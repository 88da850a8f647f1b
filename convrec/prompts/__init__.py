"""Prompt templates, stored as files beside this module and loaded by name.

``load_prompt("plan_system")`` is the text of ``plan_system.txt``; its one final newline (the
one every text file ends with) is not part of the prompt. Templates with placeholders are
filled with `str.format` (``render_prompt("intro_user", want=...)``), so a literal brace is
written twice. Few-shot examples and tables of small templates are JSON files
(``load_prompt_data("plan_shots")``). Files are read once per process; an unknown name is a
one-line `PromptError`.

The trained dialogue policy's prompt (`POLICY_PROMPT_FILES`) has a version,
`POLICY_PROMPT_VERSION`: a checkpoint records the version it was trained on, and loading one
trained on another version fails (`convrec.agent.policy.load_trained_policy`). Change those
files, or what fills them in (`PolicyInput.brief`), only together with the version.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

from convrec.errors import ConvrecError

# The trained policy's prompt: bump the version with any change to these files or to what fills
# them in, so that checkpoints trained on the old prompt are refused instead of misread.
POLICY_PROMPT_VERSION = 1
POLICY_PROMPT_FILES = ("policy_plans_system", "policy_state", "policy_plans_user")

_NAME = re.compile(r"[a-z0-9_]+")


class PromptError(ConvrecError):
    """A prompt file is missing or cannot be filled in."""


def _read(filename: str) -> str:
    stem = filename.rsplit(".", 1)[0]
    if not _NAME.fullmatch(stem):
        raise PromptError(f"bad prompt name {stem!r}: use lower-case letters, digits and _")
    resource = resources.files(__name__).joinpath(filename)
    if not resource.is_file():
        known = ", ".join(prompt_names()) or "none"
        raise PromptError(f"no prompt named {stem!r} in convrec/prompts (known: {known})")
    return resource.read_text(encoding="utf-8")


@cache
def load_prompt(name: str) -> str:
    """The text of the prompt file `name`.txt, without its final newline."""
    text = _read(f"{name}.txt")
    return text[:-1] if text.endswith("\n") else text


def render_prompt(name: str, **values: Any) -> str:
    """The prompt `name` with its ``{placeholders}`` filled in from `values`."""
    try:
        return load_prompt(name).format(**values)
    except (KeyError, IndexError) as exc:
        raise PromptError(f"prompt {name!r} needs a value for {{{exc.args[0]}}}") from None


@cache
def _data(name: str) -> str:
    return _read(f"{name}.json")


def load_prompt_data(name: str) -> Any:
    """The JSON file `name`.json (few-shot examples, tables of templates), freshly parsed."""
    try:
        return json.loads(_data(name))
    except ValueError as exc:
        raise PromptError(f"prompt data {name!r} is not valid JSON: {exc}") from None


def prompt_names() -> list[str]:
    """The names of the prompt files here (text and JSON)."""
    folder = resources.files(__name__)
    return sorted(
        entry.name.rsplit(".", 1)[0]
        for entry in folder.iterdir()
        if entry.name.endswith((".txt", ".json"))
    )

