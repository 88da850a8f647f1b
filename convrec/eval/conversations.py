"""Scripted conversations for the agent benchmark: the file format and its checks.

Conversations are JSON files, `benchmarks/conversations/NN-slug.json`
(`convrec chat --script FILE` replays the same files):

    {"name": "...", "description": "...",
     "user": null | "ml:<MovieLens userId>" | "critic:<critic name>",
     "turns": [{"text": "...", "expect": {...}}, ...]}

A turn's `expect` holds checks of that turn; every key is optional, unknown keys
are an error (a typo must not silently check nothing):

  act                 the act the agent must choose: recommend, ask_genre, ask_era,
                      ask_mood, ask_liked_film, ask_relax, answer, chitchat
  acts                any one of these acts
  user_act            how the agent must read the user (empty, greeting, thanks, bye,
                      accept, question, more, reject, inform, request,
                      unclear): a string, or a
                      list meaning any of them
  min_items           at least this many films recommended in the turn
  max_items           at most this many
  chips_include       each string is part of some ledger chip after the turn
                      (`Ledger.describe()`, e.g. "no Horror", "1990-1999", "under 120 min")
  chips_exclude       no ledger chip contains any of these strings
  reply_contains      each string is part of the reply
  reply_contains_any  at least one of these strings is part of the reply (an answer the
                      catalog may or may not have: "minutes" or "don't have the runtime")
  reply_not_contains  none of these strings is part of the reply
  titles_exclude      no recommended film has one of these titles (the whole title)
  seen_min            the ledger after the turn marks at least this many films seen
  rejected_min        ... and at least this many rejected ("not the second one")

String comparisons ignore case.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from convrec.agent.policy import ACTS
from convrec.agent.understanding import UserAct
from convrec.errors import ConvrecError
from convrec.tools.base import ToolArgumentError, parse_user_ref

USER_ACTS: tuple[str, ...] = get_args(UserAct)


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _known(values: list[str], allowed: Sequence[str], what: str) -> list[str]:
    """`values` when every one is in `allowed`; a ValueError naming the others."""
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValueError(f"unknown {what} {unknown}: choose from {', '.join(allowed)}")
    return values


class Expect(BaseModel):
    """What one turn must do (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    act: str | None = None
    acts: list[str] = Field(default_factory=list)
    user_act: list[str] = Field(default_factory=list)
    min_items: int | None = Field(default=None, ge=0)
    max_items: int | None = Field(default=None, ge=0)
    chips_include: list[str] = Field(default_factory=list)
    chips_exclude: list[str] = Field(default_factory=list)
    reply_contains: list[str] = Field(default_factory=list)
    reply_contains_any: list[str] = Field(default_factory=list)
    reply_not_contains: list[str] = Field(default_factory=list)
    titles_exclude: list[str] = Field(default_factory=list)
    seen_min: int | None = Field(default=None, ge=0)
    rejected_min: int | None = Field(default=None, ge=0)

    @field_validator("user_act", "chips_include", "chips_exclude", "reply_contains",
                     "reply_contains_any", "reply_not_contains", "titles_exclude", "acts",
                     mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("act")
    @classmethod
    def _known_act(cls, value: str | None) -> str | None:
        if value is not None and value not in ACTS:
            raise ValueError(f"unknown act {value!r}: choose from {', '.join(ACTS)}")
        return value

    @field_validator("acts")
    @classmethod
    def _known_acts(cls, value: list[str]) -> list[str]:
        return _known(value, ACTS, "acts")

    @field_validator("user_act")
    @classmethod
    def _known_user_acts(cls, value: list[str]) -> list[str]:
        return _known(value, USER_ACTS, "user acts")

    def failures(self, result: Any) -> list[str]:
        """What `result` (a TurnResult, or anything with its fields) fails of this."""
        out: list[str] = []
        n = len(result.item_ids)
        chips = [str(c) for c in result.chips]
        low_chips = [c.lower() for c in chips]
        reply = (result.reply or "").lower()
        titles = [str(c.get("title", "")) for c in result.cards]
        if self.act is not None and result.act != self.act:
            out.append(f"act {result.act!r}, expected {self.act!r}")
        if self.acts and result.act not in self.acts:
            out.append(f"act {result.act!r}, expected one of {self.acts}")
        if self.user_act and result.user_act not in self.user_act:
            out.append(f"user act {result.user_act!r}, expected {' or '.join(self.user_act)}")
        if self.min_items is not None and n < self.min_items:
            out.append(f"{n} films, expected at least {self.min_items}")
        if self.max_items is not None and n > self.max_items:
            out.append(f"{n} films, expected at most {self.max_items}")
        for want in self.chips_include:
            if not any(want.lower() in c for c in low_chips):
                out.append(f"no chip contains {want!r} (chips: {chips})")
        for unwanted in self.chips_exclude:
            hit = [c for c, low in zip(chips, low_chips, strict=True) if unwanted.lower() in low]
            if hit:
                out.append(f"chip {hit[0]!r} contains {unwanted!r}")
        for want in self.reply_contains:
            if want.lower() not in reply:
                out.append(f"reply lacks {want!r}")
        if self.reply_contains_any and not any(w.lower() in reply
                                               for w in self.reply_contains_any):
            out.append(f"reply has none of {self.reply_contains_any}")
        for unwanted in self.reply_not_contains:
            if unwanted.lower() in reply:
                out.append(f"reply contains {unwanted!r}")
        banned = {t.lower() for t in self.titles_exclude}
        for title in titles:
            if title.lower() in banned:
                out.append(f"recommended {title!r}")
        ledger = result.ledger or {}
        for name, least in (("seen", self.seen_min), ("rejected", self.rejected_min)):
            marked = len(ledger.get(name) or {})
            if least is not None and marked < least:
                out.append(f"{marked} films marked {name}, expected at least {least}")
        return out


class TurnSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    expect: Expect = Field(default_factory=Expect)


class Conversation(BaseModel):
    """One scripted conversation (a file of the conversations folder)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    user: str | None = None
    turns: list[TurnSpec] = Field(min_length=1)

    @field_validator("turns", mode="before")
    @classmethod
    def _plain_turns(cls, value: Any) -> Any:
        """A turn may be a bare string (no expectations)."""
        if isinstance(value, list):
            return [{"text": t} if isinstance(t, str) else t for t in value]
        return value

    @field_validator("user")
    @classmethod
    def _user_ref(cls, value: str | None) -> str | None:
        if value is None:
            return None

        try:
            kind, key = parse_user_ref(value)
        except ToolArgumentError as exc:
            raise ValueError(str(exc)) from None
        return f"{kind}:{key}"


def load_conversation(path: Path) -> Conversation:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConvrecError(f"cannot read {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ConvrecError(f"{path} is not valid JSON: {exc.msg} (line {exc.lineno})") from None
    try:
        return Conversation.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConvrecError(f"{path}: {where}: {first['msg']}") from None


def load_conversations(folder: Path) -> list[tuple[str, Conversation]]:
    """(file stem, conversation) for every *.json in `folder`, in file-name order."""
    if not folder.is_dir():
        raise ConvrecError(f"no conversations folder at {folder}")
    files = sorted(folder.glob("*.json"))
    if not files:
        raise ConvrecError(f"no conversation files (*.json) in {folder}")
    return [(path.stem, load_conversation(path)) for path in files]
