"""Training turns: every recommender message of a training dialogue that suggests a film
not mentioned before, with what was known at that point (the `RankQuery`) and the films it
suggested (the labels). Dialogues are split into folds and into fit / dev by a hash of the
conversation id, so a dialogue's turns never sit on both sides."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from convrec.tools.ranking.dialogues import TrainingDialogue
from convrec.tools.ranking.features import RankQuery

TEXT_WORDS = 40  # the seeker's latest words the text features read
DEV_SHARE = 10  # one dialogue in ten is held out for early stopping and the card's figures
FOLDS = 4


def _bucket(conversation_id: str, salt: str, buckets: int) -> int:
    digest = hashlib.blake2b(f"{salt}:{conversation_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % buckets


def fold_of(conversation_id: str) -> int:
    """The signals fold: a dialogue's turns are scored with signals built without its fold."""
    return _bucket(conversation_id, "fold", FOLDS)


def is_dev(conversation_id: str) -> bool:
    return _bucket(conversation_id, "dev", DEV_SHARE) == 0


def latest_words(texts: Iterable[str], words: int = TEXT_WORDS) -> str:
    return " ".join(" ".join(texts).split()[-words:])


@dataclass(frozen=True)
class TrainingTurn:
    conversation_id: str
    query: RankQuery
    targets: frozenset[int]  # catalog ids suggested here and not mentioned before


def training_turns(dialogues: Iterable[TrainingDialogue]) -> Iterator[TrainingTurn]:
    """The turns of the dialogues whose speakers are known."""
    for dialogue in dialogues:
        if not dialogue.has_roles:
            continue
        context: list[int] = []
        liked: list[int] = []
        said: list[str] = []
        for message in dialogue.messages:
            if message.role == "recommender" and message.items:
                targets = frozenset(message.items) - set(context)
                if targets and (context or said):
                    yield TrainingTurn(dialogue.conversation_id, RankQuery(
                        liked=tuple(liked), context=tuple(context),
                        text=latest_words(said)), targets)
            for item in message.items:
                if item not in context:
                    context.append(item)
                if message.role == "seeker" and item not in liked:
                    liked.append(item)
            if message.role == "seeker" and message.text:
                said.append(message.text)
