"""A later turn that changes one part of the latest plan, and keeps the rest.

"swap the second one" refills one slot; "another option for my nephew" refills the
slots of the part it names (by the words only that part used); "make the war one
older" adds a constraint to that part alone; "other ones" refills every part. Anything
else is not a follow-up of the plan: the turn is read as usual.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from convrec.agent.goals.decompose import has_content
from convrec.agent.goals.types import GoalPlan
from convrec.agent.ledger import LedgerUpdate
from convrec.agent.understanding.extraction import ordinal_index
from convrec.agent.understanding.lexicon import ORDINAL_REF, STOP_WORDS

_CHANGE = re.compile(
    r"\b(?:swap|replace|change|switch|drop|ditch|lose|skip|instead\s+of|not|other\s+than"
    r"|rather\s+than|seen|watched|already)\b", re.I)
_AGAIN = re.compile(
    r"\b(?:another|different|other|else|alternative|alternatives|new|more|instead|options?"
    r"|swap|replace|change|switch|older|newer|shorter|longer|make)\b", re.I)
_ALL = re.compile(r"^\W*(?:(?:some\s+|any\s+)?(?:other|different|new|more)\s+(?:ones|films|"
                  r"movies|options|picks|suggestions)|(?:more|others|again|try\s+again|"
                  r"something\s+else)(?:\s+please)?)\W*$", re.I)
_SEEN = re.compile(r"\b(?:seen|watched|saw)\b", re.I)
_FILLER = {"film", "films", "movie", "movies", "one", "ones", "pick", "something", "option",
           "options", "want", "like", "good", "great", "maybe", "please", "thing"}


# who a part is for, so "anything else for her?" finds the part "she wants a romcom"
_WHO = {
    "she": "@her", "her": "@her", "hers": "@her", "wife": "@her", "girlfriend": "@her",
    "mum": "@her", "mom": "@her", "mother": "@her", "gran": "@her", "grandma": "@her",
    "granny": "@her", "daughter": "@her", "sister": "@her", "niece": "@her", "aunt": "@her",
    "he": "@him", "him": "@him", "his": "@him", "husband": "@him", "boyfriend": "@him",
    "dad": "@him", "father": "@him", "grandpa": "@him", "grandad": "@him", "son": "@him",
    "brother": "@him", "nephew": "@him", "uncle": "@him",
    "i": "@me", "me": "@me", "my": "@me", "myself": "@me",
    "kids": "@kids", "kid": "@kids", "children": "@kids", "little": "@kids",
}


def _stem(word: str) -> str:
    """'documentaries' -> 'documentary', 'cartoons' -> 'cartoon', '80s' stays."""
    if word[0].isdigit():
        return word
    for suffix, put in (("ies", "y"), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)] + put
            return stem if suffix != "es" or stem.endswith(("sh", "ch", "x", "ss")) else word[:-1]
    return word


def _words(text: str, genres: list[str] | None = None) -> set[str]:
    """A part's distinguishing words: its content words, who it is for, its genres."""
    raw = re.findall(r"[a-z0-9][a-z0-9'-]*", text.lower())
    words = {_stem(w) for w in raw if w not in STOP_WORDS and w not in _FILLER}
    words |= {_WHO[w.split("'")[0]] for w in raw if w.split("'")[0] in _WHO}
    words |= {_stem(w) for g in genres or [] for w in g.lower().split()}
    return words


# what the user keeps is not what they change: "keep the comedies tho", "the horror
# comedies are fine"
_KEEP = re.compile(
    r"\b(?:keep(?:ing)?|leave|leaving|stick\s+with)\s+(?:the\s+)?[^,.;!?]{1,40}?(?=[,.;!?]|\s+but\b"
    r"|\s+and\s+(?:give|swap|change|get|find|replace)\b|$)"
    r"|\b(?:the\s+)?[a-z0-9' -]{1,40}?\s+(?:ones?\s+|picks?\s+)?(?:is|are)\s+(?:fine|good|ok|okay"
    r"|great|perfect)\b", re.I)


def _positions(text: str, size: int) -> list[int]:
    out = []
    for match in ORDINAL_REF.finditer(text):
        index = ordinal_index(match)
        if -size <= index < size:
            out.append(index % size)
    return sorted(set(out))


def _addressed_goal(text: str, plan: GoalPlan) -> int | None:
    """The part the words name, by the words only that part used (what they keep aside)."""
    said = _words(_KEEP.sub(" ", text))
    own = [_words(g.text, g.update.genres_include) for g in plan.goals]
    hits = []
    for n, words in enumerate(own):
        others = set().union(*(w for m, w in enumerate(own) if m != n))
        if said & (words - others):
            hits.append(n)
    return hits[0] if len(hits) == 1 else None


def read_followup(message: str, plan: GoalPlan, extract: Callable[[str], LedgerUpdate],
                  titles: dict[int, str], turn: int) -> GoalPlan | None:
    """The plan with the slots to refill marked (`swap`, `redo`) and any new constraint added
    to the part it names; None when the turn is not about the plan."""
    if not plan.slots:
        return None
    new = plan.model_copy(deep=True)
    text = message.strip()
    new.swap, new.redo, new.turn, new.note = [], [], turn, ""
    new.seen = bool(_SEEN.search(text))  # "I've seen the second one": seen, not turned down
    positions = _positions(text, len(plan.slots)) if _CHANGE.search(text) else []
    low = text.lower()
    positions += [n for n, slot in enumerate(plan.slots)
                  if titles.get(slot.item_id, "\0").lower() in low and _CHANGE.search(text)]
    if positions:
        new.swap = sorted(set(positions))
        return new
    if _ALL.match(text):
        new.redo = [g.index for g in plan.goals]
        return new
    goal = _addressed_goal(text, plan) if plan.compound() else None
    if goal is None:
        return None
    changed = _KEEP.sub(" ", text)
    update = extract(changed)
    if has_content(update, changed):
        new.goals[goal].refinements.append(update)
    elif not _AGAIN.search(text):
        return None
    new.redo = [goal]
    return new
