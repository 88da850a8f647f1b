"""ReDial seeker messages that mention films, written the way a user would write them.

In ReDial a film is an `@id` in the text; the labels of a message are the catalog items
its @ids resolve to (the catalog's `redial_movies` table: every ReDial movie id has an
item, a stub with only a title when no source film matched). The text the extractor reads
replaces each @id by the film's name from the dialogue's movieMentions, double quotes
removed and runs of spaces collapsed, in the message's own case (a message typed in lower
case gets the title in lower case), with the "(Year)" kept for about half of the mentions
and dropped for the rest: each mention flips a coin from `random.Random(f"{seed}:{conv}:
{message}")`, seed 0, so the choice is fixed per message whatever else is read (--limit).

Seeker messages: `role == "seeker"` where the file marks roles (train_more), otherwise
senderWorkerId == initiatorWorkerId. Messages whose @ids have no name in movieMentions
lose those mentions (counted); messages left with no mention are not read.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from convrec.catalog.db import Catalog
from convrec.catalog.normalize import split_year
from convrec.eval.extraction.paths import redial_files

MENTION = re.compile(r"@(\d+)")
SPACES = re.compile(r"\s{2,}")
LETTERS = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class MentionMessage:
    conversation_id: str
    message_id: str
    text: str  # as a user would write it
    items: frozenset[int]  # the catalog items its @ids resolve to
    mentions: int  # @ids with a name (written into the text)


@dataclass
class MentionStats:
    files: list[str] = field(default_factory=list)
    dialogues: int = 0
    seeker_messages: int = 0
    messages_with_mentions: int = 0
    mentions: int = 0  # distinct @ids per message
    unnamed: int = 0  # @ids without a movieMentions name (dropped)
    unresolved: int = 0  # named @ids with no catalog item (left out of recall)
    year_kept: int = 0
    year_dropped: int = 0


def _lines(path: Path) -> Iterator[str]:
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        yield from f


def redial_items(catalog: Catalog) -> dict[int, int]:
    """ReDial movie id -> catalog item id."""
    return {int(rid): int(item) for rid, item in
            catalog.query("SELECT redial_movie_id, item_id FROM redial_movies")}


def _is_seeker(message: dict[str, Any], dialogue: dict[str, Any]) -> bool:
    if "role" in message:
        return message["role"] == "seeker"
    return message.get("senderWorkerId") == dialogue.get("initiatorWorkerId")


def _in_case(title: str, text: str) -> str:
    """The title in the message's case: lower for a lower-case message, upper for a
    shouting one, as written otherwise."""
    rest = MENTION.sub("", text)
    letters = "".join(LETTERS.findall(rest))
    if letters and letters == letters.lower():
        return title.lower()
    if len(letters) > 3 and letters == letters.upper():
        return title.upper()
    return title


def written_title(name: str, keep_year: bool) -> str:
    """A movieMentions name as a user writes it: no quotes, single spaces, year optional."""
    clean = SPACES.sub(" ", name.replace('"', "")).strip()
    if keep_year:
        return clean
    title, year = split_year(clean)
    return title if year is not None else clean


def user_text(raw: str, names: dict[str, str], rng: random.Random,
              stats: MentionStats | None = None) -> str:
    """The message with every named @id written as a title (see the module docstring)."""

    def title(match: re.Match[str]) -> str:
        name = names.get(match.group(1))
        if not name:
            return ""
        keep = rng.random() < 0.5
        if stats is not None:
            if keep:
                stats.year_kept += 1
            else:
                stats.year_dropped += 1
        return _in_case(written_title(name, keep), raw)

    return SPACES.sub(" ", MENTION.sub(title, raw)).strip()


def load_mention_messages(
    catalog: Catalog, split: str, *, limit: int | None = None, seed: int = 0,
    root: Path | None = None,
) -> tuple[list[MentionMessage], MentionStats]:
    """The seeker messages with at least one named @id, in file order (the first `limit`)."""
    items = redial_items(catalog)
    stats = MentionStats()
    out: list[MentionMessage] = []
    for path in redial_files(split, root):
        stats.files.append(path.name)
        for lineno, line in enumerate(_lines(path)):
            if limit is not None and len(out) >= limit:
                return out, stats
            if not line.strip():
                continue
            dialogue = json.loads(line)
            stats.dialogues += 1
            names = {str(k): v for k, v in (dialogue.get("movieMentions") or {}).items() if v}
            # some training sources have no conversationId: the line number stands in
            conv = str(dialogue.get("conversationId") or f"{path.name}:{lineno}")
            for n, message in enumerate(dialogue.get("messages") or []):
                if not _is_seeker(message, dialogue):
                    continue
                stats.seeker_messages += 1
                raw = message.get("text") or ""
                rids = list(dict.fromkeys(MENTION.findall(raw)))
                named = [r for r in rids if r in names]
                stats.unnamed += len(rids) - len(named)
                if not named:
                    continue
                resolved = {items[int(r)] for r in named if int(r) in items}
                stats.unresolved += sum(int(r) not in items for r in named)
                mid = str(message.get("messageId", n))
                rng = random.Random(f"{seed}:{conv}:{mid}")
                text = user_text(raw, names, rng, stats)
                stats.messages_with_mentions += 1
                stats.mentions += len(named)
                out.append(MentionMessage(conv, mid, text, frozenset(resolved), len(named)))
                if limit is not None and len(out) >= limit:
                    return out, stats
    return out, stats
