"""Profile records and the numbers of extraction: entry kinds, thresholds and caps, the
entry, its provenance and the user record, the confidence formula, user id spelling (see
the package docstring)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, cast

from pydantic import BaseModel, ConfigDict

from convrec.tools.base import parse_user_ref

PROFILES_VERSION = 1  # bump when the extraction rules change: forces a rebuild
STORE_SCHEMA = 1  # bump when the tables change (the edits table must then be migrated)
FOLDER = "profiles"
DB_NAME = "profiles.sqlite"

EntryKind = Literal["genre", "person", "keyword", "era", "runtime"]
Polarity = Literal["like", "dislike"]
ENTRY_KINDS: tuple[EntryKind, ...] = ("genre", "person", "keyword", "era", "runtime")

MIN_CRITIC_REVIEWS = 5  # critics with fewer reviews (with text) get no stored profile
LONG_FILM_MINUTES = 140
LONG_FILMS = "long films"

MIN_SUPPORT: dict[str, int] = {"genre": 3, "person": 2, "keyword": 3, "era": 3, "runtime": 3}
OWN_TAG_MIN_SUPPORT = 1
MIN_EFFECT = 0.25  # |z| in units of the user's spread
MIN_CONFIDENCE = 0.05
EFFECT_SCALE = 1.0
EVIDENCE_PRIOR = 3.0
USER_PRIOR = 10.0
SPREAD_FLOOR = 0.1  # share of the rating scale
PROVENANCE_PER_ENTRY = 3
CAPS: dict[tuple[str, str], int] = {
    ("genre", "like"): 4, ("genre", "dislike"): 4,
    ("person", "like"): 6, ("person", "dislike"): 4,
    ("keyword", "like"): 8, ("keyword", "dislike"): 4,
    ("era", "like"): 2, ("era", "dislike"): 2,
    ("runtime", "like"): 1, ("runtime", "dislike"): 1,
}

ML_SCALE = (0.5, 5.0)
CRITIC_SCALE = (0.0, 1.0)

# ----------------------------------------------------------------------------- records


class Provenance(BaseModel):
    """One piece of the user's own history behind an entry: a rating row or a review."""

    model_config = ConfigDict(frozen=True)

    item_id: int | None = None  # None: a review of a film not linked to the catalog
    label: str | None = None  # 'Heat (1995)'
    rating: float | None = None  # MovieLens rating (0.5-5) or critic score in [0, 1]
    review_id: int | None = None
    sentence: str | None = None  # a sentence of the review, verbatim
    mentions: bool = False  # the sentence names the entry's genre, person, theme, era or length
    fresh: bool | None = None
    tag: str | None = None  # the rater's own tag on this film, as written


class ProfileEntry(BaseModel):
    """A liked or disliked genre, person, theme, era or film length, with its evidence."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    key: str  # stable across rebuilds: 'genre:Comedy', 'person:4762', 'keyword:heist'
    kind: EntryKind
    value: str  # display value: 'Comedy', 'Sidney Lumet', 'heist', '1990s', 'long films'
    person_id: int | None = None
    polarity: Polarity
    confidence: float
    support: int  # films / reviews carrying the feature
    mean: float | None = None  # the user's mean on them (rating or score scale)
    baseline: float | None = None  # the user's overall mean
    fresh_count: int | None = None  # critics: fresh reviews among the support
    scale: Literal["rating", "score"] = "rating"
    provenance: tuple[Provenance, ...] = ()
    flipped: bool = False  # the person flipped the extracted polarity
    deleted: bool = False  # the person deleted it (listed only on request)

    @property
    def sign(self) -> int:
        return 1 if self.polarity == "like" else -1

    @property
    def weight(self) -> float:
        """confidence * polarity: what a matching film gains (or loses)."""
        return self.sign * self.confidence


@dataclass(frozen=True)
class UserInfo:
    """What the store knows about a user whose profile was built."""

    user_id: str
    kind: str
    n_evidence: int  # rated films or reviews
    n_linked: int  # of those, linked to catalog films
    baseline: float | None
    spread: float | None
    n_entries: int


def canonical_user(user_id: str) -> str:
    """The store's spelling of a user id ('ml:007' -> 'ml:7'); malformed ids raise."""
    kind, key = parse_user_ref(user_id)
    return f"ml:{int(key)}" if kind == "ml" else f"critic:{key}"


def confidence(effect: float, n: int, n_user: int) -> float:
    """The confidence formula of the module docstring, in [0, 1)."""
    return (
        math.tanh(abs(effect) / EFFECT_SCALE)
        * n / (n + EVIDENCE_PRIOR)
        * n_user / (n_user + USER_PRIOR)
    )


def key_kind(key: str) -> EntryKind:
    return cast(EntryKind, key.partition(":")[0])


def decade_label(year: int | None) -> str | None:
    return None if year is None or year <= 0 else f"{year // 10 * 10}s"


# ----------------------------------------------------------------------------- item features
