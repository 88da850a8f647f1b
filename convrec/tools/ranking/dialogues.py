"""The training dialogues the ranker learns from, read from the catalog.

Only split 'train' is ever read here (the SQL says so, and a test checks that no test
conversation reaches the signals or the ranker). A message keeps its films in the order the
text names them: role-less sources hold a whole dialogue as one message, and the order is
all that says which film came up after which.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from convrec.catalog.db import Catalog

TRAIN_SPLIT = "train"
MENTION = re.compile(r"@(\d+)")


@dataclass(frozen=True)
class DialogueMessage:
    role: str  # 'seeker', 'recommender' or 'unknown' (a source that lost the speakers)
    items: tuple[int, ...]  # catalog items the text mentions, first mention first
    text: str  # the text with every @id replaced by the film's title


@dataclass(frozen=True)
class TrainingDialogue:
    conversation_id: str
    origin: str
    messages: tuple[DialogueMessage, ...]

    @property
    def has_roles(self) -> bool:
        """Whether its recommender turns can be told apart (needed for training turns)."""
        return any(m.role == "recommender" for m in self.messages)


def training_dialogues(catalog: Catalog) -> list[TrainingDialogue]:
    """Every training-split dialogue, in conversation id order."""
    titles: dict[int, tuple[int, str]] = {
        rid: (item_id, title) for rid, item_id, title in catalog.query(
            "SELECT rm.redial_movie_id, rm.item_id, i.title FROM redial_movies rm "
            "JOIN items i USING (item_id)")
    }
    rows = catalog.query(
        "SELECT d.conversation_id, d.origin, m.role, m.text FROM redial_messages m "
        "JOIN redial_dialogues d USING (conversation_id) WHERE d.split = ? "
        "ORDER BY m.conversation_id, m.position", [TRAIN_SPLIT])
    messages: dict[str, list[DialogueMessage]] = defaultdict(list)
    origins: dict[str, str] = {}
    for conversation_id, origin, role, text in rows:
        origins[conversation_id] = origin
        rids = [int(r) for r in MENTION.findall(text)]
        items = tuple(dict.fromkeys(titles[r][0] for r in rids if r in titles))
        clean = MENTION.sub(lambda m: titles.get(int(m.group(1)), (0, ""))[1], text)
        messages[conversation_id].append(DialogueMessage(role, items, " ".join(clean.split())))
    return [TrainingDialogue(c, origins[c], tuple(ms)) for c, ms in messages.items()]
