"""A fixed sample of ReDial seeker messages for measuring the constraint extractor.

This is a measurement sample only: it is drawn from the ReDial *test* split, and the test
split never reaches a fit, a selection or a threshold. The messages are judged by hand
(benchmarks/extract/redial_judged.jsonl) for the hard constraints each one supports, and
the extractor's output is compared against those labels, never tuned on them.

* `seeker_messages`: every message of the file sent by the seeker (senderWorkerId ==
  initiatorWorkerId) whose stored text has at least one letter, in file order, with each `@<id>`
  replaced by the film's name from the dialogue's movieMentions ("Title (Year)", runs of
  spaces collapsed); a mention without a name is removed.
* `sample_seeker_messages`: `random.Random(seed).sample(all, n)` (n=300, seed=16), sorted
  by (conversation_id, message_id).
"""

from __future__ import annotations

import gzip
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from convrec.catalog.ensure import find_or_download_sources
from convrec.catalog.sources import locate_files
from convrec.config import get_settings
from convrec.eval.extraction.redial_mentions import LETTERS, MENTION, SPACES


@dataclass(frozen=True)
class SeekerMessage:
    conversation_id: str
    message_id: int
    text: str  # @ids replaced by film names
    raw: str  # the message as ReDial stores it


def default_path() -> Path:
    """The ReDial test file, found the way convrec finds its datasets (no download)."""
    root = find_or_download_sources(get_settings(), allow_download=False)
    return locate_files(root).require("redial_test")


def _lines(path: Path) -> list[str]:
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return f.read().splitlines()
    return path.read_text(encoding="utf-8").splitlines()


def _substitute(text: str, names: dict[str, str | None]) -> str:
    def name(match: re.Match[str]) -> str:
        return SPACES.sub(" ", names.get(match.group(1)) or "").strip()

    return SPACES.sub(" ", MENTION.sub(name, text)).strip()


def seeker_messages(path: Path | None = None) -> list[SeekerMessage]:
    """Every seeker message with at least one letter, in file order."""
    out: list[SeekerMessage] = []
    for line in _lines(path or default_path()):
        if not line.strip():
            continue
        dialogue = json.loads(line)
        names = dialogue.get("movieMentions") or {}
        for message in dialogue["messages"]:
            raw = message["text"]
            seeker = message["senderWorkerId"] == dialogue["initiatorWorkerId"]
            if not seeker or not LETTERS.search(raw):
                continue
            out.append(SeekerMessage(str(dialogue["conversationId"]), int(message["messageId"]),
                                     _substitute(raw, names), raw))
    return out


def sample_seeker_messages(
    path: Path | None = None, n: int = 300, seed: int = 16
) -> list[SeekerMessage]:
    """`n` seeker messages drawn with `random.Random(seed)`, sorted by (conversation, id)."""
    chosen = random.Random(seed).sample(seeker_messages(path), n)
    return sorted(chosen, key=lambda m: (m.conversation_id, m.message_id))
