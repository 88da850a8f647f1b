"""Folding one turn's `LedgerUpdate` into the ledger: later statements override earlier ones.

Genres, eras and people replace or widen what was said before ("actually the 90s are
fine"); a leaning said again in a later turn, or confirmed, becomes a hard constraint;
a hard statement about the same thing replaces a leaning.
"""

from __future__ import annotations

from convrec.agent.ledger import (
    MAX_WISHES,
    Ledger,
    LedgerUpdate,
    PersonPref,
    SoftPref,
    Stamped,
    Wish,
)
from convrec.catalog.normalize import person_key
from convrec.tools.soft import SoftPreference


def apply_update(ledger: Ledger, update: LedgerUpdate, turn: int) -> Ledger:
    """The ledger after this turn: later statements override earlier ones."""
    new = ledger.model_copy(deep=True)
    if update.reset:
        # films already seen, rejected or shown stay out: only the wants are forgotten
        new = Ledger(seen=new.seen, rejected=new.rejected, disliked=new.disliked,
                     shown=new.shown, last_shown=new.last_shown, avoid=new.avoid)
    _apply_genres(new, update, turn)
    _apply_range(new, "year_from", "year_to", update.era_clear, update.year_from,
                 update.year_to, turn)
    _apply_range(new, "runtime_min", "runtime_max", update.runtime_clear, update.runtime_min,
                 update.runtime_max, turn)
    if update.languages_clear:
        new.languages = {}
    if update.languages:
        new.languages = dict.fromkeys(update.languages, turn)
    if update.rating_clear:
        new.min_rating = None
    if update.min_rating is not None:
        new.min_rating = Stamped(value=update.min_rating, turn=turn)
    new.studios_include = _apply_in_out(new.studios_include, new.studios_exclude,
                                        update.studios_include, update.studios_exclude,
                                        update.studios_allow, turn)
    new.keywords_include = _apply_in_out(new.keywords_include, new.keywords_exclude,
                                         update.keywords_include, update.keywords_exclude,
                                         [], turn)
    _apply_people(new, update, turn)
    _apply_films(new, update, turn)
    if update.clear_wishes:
        new.wishes = []
    for text in update.wishes:
        new.wishes = [w for w in new.wishes if w.text != text] + [Wish(text=text, turn=turn)]
    new.wishes = new.wishes[-MAX_WISHES:]
    if update.context is not None:
        new.context = update.context or None
    _apply_soft(new, update, turn)
    return new


def _apply_drops(new: Ledger, keys: list[str]) -> None:
    """'X instead of Y': forget what was said about Y (wanted, refused or leaned)."""
    for key in keys:
        kind, _, value = key.partition(":")
        new.soft.pop(key, None)
        if kind == "genre":
            new.genres_include.pop(value, None)
            new.genres_exclude.pop(value, None)
        elif kind == "person":
            new.people_include.pop(person_key(value), None)
            new.people_exclude.pop(person_key(value), None)


def _apply_soft(new: Ledger, update: LedgerUpdate, turn: int) -> None:
    """Fold the turn's leanings in. A hard statement about the same thing replaces a leaning;
    a leaning said again in a later turn (or confirmed) becomes hard; a new leaning away
    from something that was required lifts the requirement (the newer statement wins)."""
    _apply_drops(new, update.drop)
    for key in update.confirm:
        asked = new.soft.get(key)
        if asked is not None and _promote(new, asked, turn):
            del new.soft[key]
    hard_keys = _hard_keys(update)
    new.soft = {k: p for k, p in new.soft.items() if k not in hard_keys}
    for pref in update.soft:
        key = pref.key()
        if key in hard_keys:
            continue
        earlier = new.soft.get(key)
        if earlier is not None and earlier.polarity == pref.polarity and earlier.turn < turn \
                and _promote(new, pref, turn):
            del new.soft[key]
            continue
        if pref.polarity < 0 and earlier is None:
            _lift_requirement(new, pref)
        said = earlier.said + 1 if earlier is not None and earlier.polarity == pref.polarity \
            else 1
        new.soft[key] = SoftPref(**pref.model_dump(), turn=turn, said=said)


def _lift_requirement(new: Ledger, pref: SoftPreference) -> None:
    if pref.kind == "genre":
        new.genres_include.pop(pref.value, None)
    elif pref.kind == "person":
        new.people_include.pop(person_key(pref.value), None)
    elif pref.kind == "keyword":
        new.keywords_include.pop(pref.value, None)


def _hard_keys(update: LedgerUpdate) -> set[str]:
    keys = {f"genre:{g}" for g in [*update.genres_include, *update.genres_exclude,
                                    *update.genres_allow]}
    keys |= {f"person:{p.name}" for p in [*update.people_include, *update.people_exclude]}
    keys |= {f"keyword:{k}" for k in [*update.keywords_include, *update.keywords_exclude]}
    keys |= {f"language:{lang}" for lang in update.languages}
    return keys


def _promote(new: Ledger, pref: SoftPreference, turn: int) -> bool:
    """Make a leaning hard (it was said twice, or confirmed). False when its kind cannot."""
    positive = pref.polarity > 0
    if pref.kind == "genre":
        target = new.genres_include if positive else new.genres_exclude
        (new.genres_exclude if positive else new.genres_include).pop(pref.value, None)
        target[pref.value] = turn
    elif pref.kind == "person":
        key = person_key(pref.value)
        target_people = new.people_include if positive else new.people_exclude
        (new.people_exclude if positive else new.people_include).pop(key, None)
        target_people[key] = PersonPref(name=pref.value, turn=turn)
    elif pref.kind == "keyword":
        (new.keywords_include if positive else new.keywords_exclude)[pref.value] = turn
    elif pref.kind == "language" and positive:
        new.languages = {pref.value: turn}
    elif pref.kind == "era" and positive:
        new.year_from = None if pref.low is None else Stamped(value=int(pref.low), turn=turn)
        new.year_to = None if pref.high is None else Stamped(value=int(pref.high), turn=turn)
    elif pref.kind == "runtime" and positive:
        new.runtime_min = None if pref.low is None else Stamped(value=pref.low, turn=turn)
        new.runtime_max = None if pref.high is None else Stamped(value=pref.high, turn=turn)
    else:
        return False
    return True
def _apply_in_out(include: dict[str, int], exclude: dict[str, int], wanted: list[str],
                  refused: list[str], allowed: list[str], turn: int) -> dict[str, int]:
    """Fold one turn's names (studios, keywords) into the include and exclude sets.

    "X is fine" lifts an exclusion; a refusal moves the name to `exclude`; a new list of
    wanted names replaces `include` and lifts their exclusions. `exclude` is updated in
    place; the new `include` is returned.
    """
    for name in allowed:
        exclude.pop(name, None)
    for name in refused:
        include.pop(name, None)
        exclude[name] = turn
    if wanted:
        include = dict.fromkeys(wanted, turn)
        for name in wanted:
            exclude.pop(name, None)
    return include


def _apply_genres(new: Ledger, update: LedgerUpdate, turn: int) -> None:
    if update.genres_clear:
        new.genres_include = {}
        new.genre_mode = "any"
    for genre in update.genres_allow:
        new.genres_exclude.pop(genre, None)
    for genre in update.genres_exclude:
        new.genres_include.pop(genre, None)
        new.genres_exclude[genre] = turn
    if update.genres_include:
        if not update.genres_add:
            new.genres_include = {}
            new.genre_mode = update.genre_mode
        elif update.genre_mode == "all":
            new.genre_mode = "all"
        for genre in update.genres_include:
            new.genres_exclude.pop(genre, None)
            new.genres_include[genre] = turn


def _apply_range(new: Ledger, low_name: str, high_name: str, clear: bool,
                 low: int | None, high: int | None, turn: int) -> None:
    """Set a (from, to) pair of bounds; a new bound that crosses the old other one drops it
    (the newer statement wins), so the ledger never holds an empty range."""
    if clear:
        setattr(new, low_name, None)
        setattr(new, high_name, None)
    if low is not None:
        setattr(new, low_name, Stamped(value=low, turn=turn))
        other = getattr(new, high_name)
        if other is not None and other.value < low and high is None:
            setattr(new, high_name, None)
    if high is not None:
        setattr(new, high_name, Stamped(value=high, turn=turn))
        other = getattr(new, low_name)
        if other is not None and other.value > high and low is None:
            setattr(new, low_name, None)


def _apply_people(new: Ledger, update: LedgerUpdate, turn: int) -> None:
    if update.people_clear:
        new.people_include = {}
    for name in update.people_allow:
        key = person_key(name)
        new.people_exclude = {k: v for k, v in new.people_exclude.items() if k != key}
    for ref in update.people_exclude:
        key = person_key(ref.name)
        new.people_include.pop(key, None)
        new.people_exclude[key] = PersonPref(name=ref.name, role=ref.role, turn=turn)
    for ref in update.people_include:
        key = person_key(ref.name)
        new.people_exclude.pop(key, None)
        new.people_include[key] = PersonPref(name=ref.name, role=ref.role, turn=turn)


def _apply_films(new: Ledger, update: LedgerUpdate, turn: int) -> None:
    for item_id in update.liked_ids:
        new.disliked.pop(item_id, None)
        new.liked[item_id] = turn
    for item_id in update.disliked_ids:
        new.liked.pop(item_id, None)
        new.disliked[item_id] = turn
    for item_id in update.seen_ids:
        new.seen.setdefault(item_id, turn)
    for item_id in update.rejected_ids:
        new.rejected.setdefault(item_id, turn)
    for item_id in update.avoid_ids:
        new.avoid.setdefault(item_id, turn)
