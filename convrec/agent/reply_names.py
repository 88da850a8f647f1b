"""What a reply names: catalog films (quoted, bold or in Title Case runs) and people in the
catalog's credits. The respond step checks a model-written sentence with these before it
is shown."""

from __future__ import annotations

import re

from convrec.catalog.normalize import person_key, title_key
from convrec.tools.context import ToolContext
from convrec.tools.lookup import get_title_index

_QUOTED = re.compile(r"\*\*(.+?)\*\*|[\"“](.+?)[\"”]|_(.+?)_")
_TITLE_CASE = re.compile(r"(?:[A-Z][\w'’:-]*|\d+)(?:[ \t]+(?:of|the|a|an|and|in|on|to"
                         r"|[A-Z][\w'’:-]*|\d+))*[ \t]+(?:[A-Z][\w'’:-]*|\d+)")


def named_films(text: str, ctx: ToolContext) -> set[str]:
    """Title keys of catalog films the text appears to name.

    A quoted or bold span is a title if it is one, whole. In a run of Title Case
    words, any two or more consecutive words that form a title count (single
    capitalised words are too often names or the start of a sentence), but never
    a number alone ("2007", "1917"): in prose that is a year.
    """
    index = get_title_index(ctx)
    found = set()
    quoted: list[tuple[int, int]] = []
    for match in _QUOTED.finditer(text):
        quoted.append(match.span())
        key = title_key(next(g for g in match.groups() if g))
        if key in index.titles:
            found.add(key)
    for match in _TITLE_CASE.finditer(text):
        if any(a <= match.start() < b for a, b in quoted):
            continue  # inside a quoted or bold title: judged whole, above
        words = match.group(0).split()
        for size in range(min(len(words), 8), 1, -1):
            for start in range(len(words) - size + 1):
                key = title_key(" ".join(words[start:start + size]))
                # "The Big" -> "big": a one-word title counts only as the whole run
                window = [w for w in words[start:start + size]
                          if w.lower() not in ("the", "a", "an")]
                # a bare number in prose is a year or a count ("a 2007 thriller"); a
                # numeric title counts only quoted or bold, above
                if key.isdigit():
                    continue
                if key in index.titles and (len(window) > 1 or size == len(words)):
                    found.add(key)
    return found


def names_people(text: str, ctx: ToolContext) -> bool:
    """True when the text contains a full name of someone in the catalog's credits."""
    # deferred: convrec.agent.understanding.vocab pulls in sklearn, pandas, pyarrow, ...
    from convrec.agent.understanding.vocab import get_agent_vocab

    people = get_agent_vocab(ctx).people
    words = re.findall(r"[\w'’.-]+", text)
    return any(
        person_key(" ".join(words[i:i + n])) in people
        for n in (2, 3) for i in range(len(words) - n + 1)
        if all(w[:1].isupper() for w in words[i:i + n])
    )
