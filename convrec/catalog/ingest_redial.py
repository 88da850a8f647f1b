"""ReDial into catalog rows: the films (linked to items), then every dialogue file.

The test split is read first, then each training-split file in the order of
`sources.REDIAL_TRAIN_FILES`; a conversationId seen before is skipped and counted, so
the first copy wins and no dialogue is in both splits.

The training files come from several sources (shared/data/redial/train_more/README.md)
that kept different parts of ReDial's layout:

* no conversationId (uss_redial): the dialogue gets `<origin>-<ordinal in its file>`,
  which can never equal a ReDial id (those are all digits);
* a per-message `role` (seeker / recommender) is used when present, since several
  sources have null or per-dialogue worker ids; otherwise the sender's worker id is
  matched against the initiator (seeker) and respondent (recommender); otherwise the
  role is 'unknown' (the vachon sources: a whole dialogue as one role-less message);
* `_source` names the dialogue's origin (the file name for files without it) and
  `_partial: true` marks a dialogue known only up to a prefix (complete = 0).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from convrec.catalog import linking
from convrec.catalog.ingest import Rows, int_or_none, text_or_none
from convrec.catalog.normalize import norm_title, split_year
from convrec.catalog.readers import iter_jsonl, read_csv
from convrec.catalog.sources import COMPRESSION_SUFFIXES, SourceFiles

_MENTION_RE = re.compile(r"@(\d+)")
_ROLES = ("seeker", "recommender")

# Skip reasons that `convrec data stats` reports by name.
SKIP_UNRESOLVED_MENTION = "redial: @mention of an unknown movie id"
SKIP_REPEATED_CONVERSATION = "redial: repeated conversationId"
NOTE_SYNTHETIC_IDS = "redial_synthetic_ids"


def ingest_redial(files: SourceFiles, rows: Rows) -> None:
    _ingest_movies(files, rows)
    files_and_splits = [(files.require("redial_test"), "test"), *files.redial_train.items()]
    seen: set[str] = set()
    synthetic = 0
    for path, split in files_and_splits:
        file_origin = origin_of_file(path)
        for ordinal, dialogue in enumerate(iter_jsonl(path, rows.skips), start=1):
            origin = text_or_none(dialogue.get("_source")) or file_origin
            conv_id = text_or_none(dialogue["conversationId"])
            if conv_id is None:
                conv_id = synthetic_conversation_id(origin, ordinal)
                synthetic += 1
            if conv_id in seen:
                rows.skips.add(SKIP_REPEATED_CONVERSATION)
                continue
            seen.add(conv_id)
            complete = 0 if dialogue.get("_partial") is True else 1
            _ingest_dialogue(rows, dialogue, conv_id, split, path.name, origin, complete)
    if synthetic:
        rows.notes[NOTE_SYNTHETIC_IDS] = (
            f"{synthetic} dialogues without conversationId named <origin>-<ordinal in file>"
        )


def origin_of_file(path: Path) -> str:
    """The dataset file's name without a compression suffix (kgsf_valid_data.jsonl)."""
    name = path.name
    for suffix in COMPRESSION_SUFFIXES:
        if suffix and name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def synthetic_conversation_id(origin: str, ordinal: int) -> str:
    """The id of a dialogue that has none: stable for a given file, never all digits."""
    return f"{origin}-{ordinal}"


def _ingest_movies(files: SourceFiles, rows: Rows) -> None:
    movies = read_csv(files.require("redial_movies"), ["movieId", "movieName", "nbMentions"],
                      dtype={"movieName": str}, keep_default_na=False)
    links_path = files.get("redial_links")
    if links_path is not None:
        links = read_csv(links_path, ["redial_movieId", "ml_movieId", "tmdb_id", "match_rule"],
                         dtype=str, keep_default_na=False)
        rows.notes["redial_links"] = f"shipped ({links_path.name})"
    else:
        links = linking.link_redial_movies(
            movies, rows.frames["ml_movies"], rows.frames["ml_links"], rows.frames["tmdb_movies"]
        )
        rows.notes["redial_links"] = "computed (no redial_movie_links.csv)"
    link_by_id = {
        int(r): (int_or_none(m), int_or_none(t), text_or_none(rule))
        for r, m, t, rule in zip(
            links["redial_movieId"], links["ml_movieId"], links["tmdb_id"], links["match_rule"],
            strict=True,
        )
    }
    table = rows.table
    for movie_id, name, n in zip(
        movies["movieId"], movies["movieName"], movies["nbMentions"], strict=True
    ):
        redial_id = int(movie_id)
        title, year = split_year(name)
        ml_id, tmdb_id, rule = link_by_id.get(redial_id, (None, None, None))
        if not norm_title(title) and (ml_id or tmdb_id):
            # A name with no title left (" (2015)") matches any empty-titled film,
            # e.g. through a Chinese original title: such links are wrong.
            ml_id = tmdb_id = rule = None
            rows.skips.add("redial: link dropped, name has no title")
        item = table.attach_redial(redial_id, title or str(name), year, ml_id, tmdb_id)
        rows.redial_movies.append((redial_id, str(name), int(n), item.item_id, rule))


def _answers(raw: Any) -> dict[str, dict[str, Any]]:
    # A questionnaire nobody filled in is an empty list, not a dict.
    return raw if isinstance(raw, dict) else {}


def message_role(
    message: dict[str, Any], sender: int | None, seeker: int | None, recommender: int | None
) -> str:
    """The message's own role when it has one, else the worker-id rule, else 'unknown'."""
    role = message.get("role")
    if isinstance(role, str) and role.strip().lower() in _ROLES:
        return role.strip().lower()
    if sender is not None:
        if sender == seeker:
            return "seeker"
        if sender == recommender:
            return "recommender"
    return "unknown"


def _ingest_dialogue(
    rows: Rows, dialogue: dict[str, Any], conv_id: str, split: str, source_file: str,
    origin: str, complete: int,
) -> None:
    by_redial = rows.table.by_redial
    seeker = int_or_none(dialogue.get("initiatorWorkerId"))
    recommender = int_or_none(dialogue.get("respondentWorkerId"))
    messages = dialogue.get("messages") or []
    rows.dialogues.append((conv_id, split, source_file, origin, complete, seeker, recommender,
                           len(messages)))
    for position, message in enumerate(messages):
        if not isinstance(message, dict):
            rows.skips.add("redial: malformed message")
            continue
        sender = int_or_none(message.get("senderWorkerId"))
        role = message_role(message, sender, seeker, recommender)
        text = str(message.get("text") or "")
        rows.messages.append((conv_id, position, int_or_none(message.get("messageId")),
                              sender, role, text, int_or_none(message.get("timeOffset"))))
        for redial_id in dict.fromkeys(int(m) for m in _MENTION_RE.findall(text)):
            mentioned_item = by_redial.get(redial_id)
            if mentioned_item is None:
                rows.skips.add(SKIP_UNRESOLVED_MENTION)
                continue
            rows.message_mentions.append((conv_id, position, redial_id, mentioned_item))
    mentioned = dialogue.get("movieMentions")
    seeker_answers = _answers(dialogue.get("initiatorQuestions"))
    rec_answers = _answers(dialogue.get("respondentQuestions"))
    ids = dict.fromkeys([*(mentioned or {}), *seeker_answers, *rec_answers])
    for raw_id in ids:
        movie_id = int_or_none(raw_id)
        item_id = by_redial.get(movie_id) if movie_id is not None else None
        if movie_id is None or item_id is None:
            rows.skips.add("redial: movieMentions id unknown")
            continue
        s, r = seeker_answers.get(raw_id) or {}, rec_answers.get(raw_id) or {}
        name = (mentioned or {}).get(raw_id) if isinstance(mentioned, dict) else None
        rows.mentions.append((
            conv_id, movie_id, item_id, text_or_none(name),
            int_or_none(s.get("suggested")), int_or_none(s.get("seen")),
            int_or_none(s.get("liked")), int_or_none(r.get("suggested")),
            int_or_none(r.get("seen")), int_or_none(r.get("liked")),
        ))
