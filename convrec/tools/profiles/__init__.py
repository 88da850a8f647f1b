"""User profiles: a memory of what each user likes and dislikes, read off their own history.

A profile is a list of entries -- liked / disliked genres, people (directors and top-billed
actors), themes (TMDB keywords and MovieLens tags), eras (decades) and long films -- each
with a polarity, a confidence in [0, 1] and provenance: the user's own rating rows or review
sentences that support it. Profiles are extracted deterministically from the catalog by
`build_profiles` and kept in a writable SQLite store beside the indexes
(INDEX_DIR/profiles/profiles.sqlite); the catalog itself stays read-only.

Extraction (the same for MovieLens raters and critics)
------------------------------------------------------
Every rated film (a rater's latest rating of it) or every review (a critic's score in [0, 1],
or, where the critic gives none, the corpus-wide mean score of fresh resp. rotten reviews)
is one piece of evidence with a value v and a set of feature keys: the film's genres,
directors and top-billed actors, themes (its TMDB keywords and the tags the rater wrote on it
themselves), decade and "long films" (runtime > 140 minutes). Other people's MovieLens tags
describe films for matching but are not learnt from (see ItemKeys.tag_only). A review not
linked to a catalog film takes the features of its Rotten Tomatoes record instead (RT genres
mapped onto catalog genres, the director matched to a catalog person by name, the theatrical
year, the runtime). Critics also
get features from their own words: genre words ("thriller", "rom-com"), theme keywords
("heist", "serial killer") and full names of catalog people found in the review text.

For a user with N pieces of evidence, mean mu and spread s (their standard deviation, floored
at a tenth of the rating scale so a user who gives everything the same score has no inflated
effects), a feature seen on n pieces of evidence gets the standardised effect

    z = mean(v_i - mu) / s                  (over the n pieces carrying the feature)

and becomes an entry when n reaches the kind's minimum support (MIN_SUPPORT; 1 for a theme
the rater tagged themselves), |z| >= MIN_EFFECT and the confidence is >= MIN_CONFIDENCE:

    polarity   = like if z > 0 else dislike
    confidence = tanh(|z| / EFFECT_SCALE) * n / (n + EVIDENCE_PRIOR) * N / (N + USER_PRIOR)

The first factor is the strength of the effect, the second shrinks effects seen on few films
toward neutral, the third shrinks everything for users with little history (whose mean is
itself uncertain). Each factor is in [0, 1), so the confidence is too. Only the strongest
entries of each kind and polarity are kept (CAPS), each with its PROVENANCE_PER_ENTRY most
telling pieces of evidence, all on the entry's side of the user's mean: films the rater
tagged with the theme, or reviews whose text names the genre, person, theme, decade or
length (with the sentence that names it, else the review's first sentence), then linked
films before unlinked reviews, then the highest (lowest, for a dislike) rated, then the
best known.

Edits
-----
A person can delete an entry or flip its polarity. Edits live in their own table keyed by
the user and the entry key (kind + value, e.g. "person:4762" or "keyword:heist"), which does
not change between builds, so edits survive a rebuild and re-apply to the new entries. A
flip stores the polarity the person asked for, not a toggle, so it stays right even if a
rebuild changes the extracted polarity. With the browser app's logins on, each login's
edits of a dataset user are its own (`edit_key`): login A flipping an entry of ml:7 changes
nothing for login B chatting as ml:7.

Modules: `model` (entries, keys), `facts` (what extraction reads off the catalog),
`extract`, `store` (the SQLite store and its edits), `build`, and `tool` (the
`user_profile` tool the planner calls, which ranks candidates by a profile). The package
imports `catalog`, `errors`, `progress` and the tools' base, context and index manifests;
nothing above `tools`.
"""

from __future__ import annotations

from convrec.tools.profiles.build import (
    build_profiles,
    catalog_knows_user,
    open_profiles,
    profiles_path,
)
from convrec.tools.profiles.extract import UserProfile, extract_all
from convrec.tools.profiles.facts import (
    NON_THEMES,
    REVIEW_STOPWORDS,
    RT_GENRES,
    TEXT_THEME_MAX_DF,
    TEXT_THEME_MIN_ITEMS,
    ItemKeys,
)
from convrec.tools.profiles.model import (
    CAPS,
    CRITIC_SCALE,
    DB_NAME,
    EFFECT_SCALE,
    ENTRY_KINDS,
    EVIDENCE_PRIOR,
    FOLDER,
    LONG_FILM_MINUTES,
    LONG_FILMS,
    MIN_CONFIDENCE,
    MIN_CRITIC_REVIEWS,
    MIN_EFFECT,
    MIN_SUPPORT,
    ML_SCALE,
    OWN_TAG_MIN_SUPPORT,
    PROFILES_VERSION,
    PROVENANCE_PER_ENTRY,
    SPREAD_FLOOR,
    STORE_SCHEMA,
    USER_PRIOR,
    EntryKind,
    Polarity,
    ProfileEntry,
    Provenance,
    UserInfo,
    canonical_user,
    confidence,
    decade_label,
    key_kind,
)
from convrec.tools.profiles.store import ProfileStore, edit_key

__all__ = [
    "CAPS",
    "CRITIC_SCALE",
    "DB_NAME",
    "EFFECT_SCALE",
    "ENTRY_KINDS",
    "EVIDENCE_PRIOR",
    "FOLDER",
    "LONG_FILMS",
    "LONG_FILM_MINUTES",
    "MIN_CONFIDENCE",
    "MIN_CRITIC_REVIEWS",
    "MIN_EFFECT",
    "MIN_SUPPORT",
    "ML_SCALE",
    "NON_THEMES",
    "OWN_TAG_MIN_SUPPORT",
    "PROFILES_VERSION",
    "PROVENANCE_PER_ENTRY",
    "REVIEW_STOPWORDS",
    "RT_GENRES",
    "SPREAD_FLOOR",
    "STORE_SCHEMA",
    "TEXT_THEME_MAX_DF",
    "TEXT_THEME_MIN_ITEMS",
    "USER_PRIOR",
    "EntryKind",
    "ItemKeys",
    "Polarity",
    "ProfileEntry",
    "ProfileStore",
    "Provenance",
    "UserInfo",
    "UserProfile",
    "build_profiles",
    "canonical_user",
    "catalog_knows_user",
    "confidence",
    "decade_label",
    "edit_key",
    "extract_all",
    "key_kind",
    "open_profiles",
    "profiles_path",
]
