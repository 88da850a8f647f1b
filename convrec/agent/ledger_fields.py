"""Where each constraint field lives: FilterArgs is the source, the ledger's models follow it.

`FilterArgs` (the filter tool's argument schema) defines the constraint fields. These
tables place each of them in `Ledger` and `LedgerUpdate`, and name the fields of those
models that are no filter argument; tests/agent/test_constraint_fields.py checks them
against all three models (and `refine.READING_FIELDS`), naming any field left out.
"""

from __future__ import annotations

# FilterArgs field -> (the Ledger field that holds it, the LedgerUpdate field that sets it);
# None where the conversation never holds it (why in the comment).
FILTER_FIELDS: dict[str, tuple[str | None, str | None]] = {
    "genres_any": ("genres_include", "genres_include"),  # with genre_mode "any"
    "genres_all": ("genres_include", "genres_include"),  # with genre_mode "all"
    "genres_none": ("genres_exclude", "genres_exclude"),
    "year_from": ("year_from", "year_from"),
    "year_to": ("year_to", "year_to"),
    "decade": (None, None),  # a decade the user names is held as its years
    "runtime_min": ("runtime_min", "runtime_min"),
    "runtime_max": ("runtime_max", "runtime_max"),
    "languages": ("languages", "languages"),
    "min_rating": ("min_rating", "min_rating"),
    "min_votes": (None, None),  # a planner's floor, not something the user asks for
    "people_include": ("people_include", "people_include"),
    "people_exclude": ("people_exclude", "people_exclude"),
    "keywords_any": ("keywords_include", "keywords_include"),
    "keywords_none": ("keywords_exclude", "keywords_exclude"),
    "studios_any": ("studios_include", "studios_include"),
    "studios_none": ("studios_exclude", "studios_exclude"),
    "exclude_ids": (None, None),  # made from the films the ledger holds (excluded_ids)
    "limit": (None, None),  # how many films, not a constraint
}
# The Ledger fields that hold hard constraints.
HARD_FIELDS = tuple(dict.fromkeys(held for held, _ in FILTER_FIELDS.values() if held))
# Ledger fields that are no filter argument: how wanted genres combine, the films (they
# make exclude_ids), wishes and leanings (retrieval and scoring), and bookkeeping.
NOT_FILTER_FIELDS = frozenset({
    "genre_mode", "liked", "disliked", "seen", "rejected", "shown", "avoid", "last_shown",
    "wishes", "soft", "context", "goal_plan", "steer_after",
})
# LedgerUpdate fields that set no filter argument of their own: how a turn changes the
# constraints ('also', 'is fine', 'any', clears), films, wishes, leanings and resets.
UPDATE_ONLY_FIELDS = frozenset({
    "genre_mode", "genres_add", "genres_allow", "genres_clear", "era_clear", "runtime_clear",
    "languages_clear", "rating_clear", "people_allow", "people_clear", "studios_allow",
    "liked_ids", "disliked_ids", "seen_ids", "rejected_ids", "avoid_ids", "wishes",
    "clear_wishes", "soft", "context", "confirm", "drop", "reset",
})
