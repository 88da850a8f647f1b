"""The constraint ledger: what the user wants, as data, each entry with the turn it came from.

The ledger is the agent's memory of the conversation. Hard constraints become a
`FilterArgs` (every film shown satisfies them); liked films steer retrieval and
CF; seen, rejected, disliked and already shown films are never shown again;
soft wishes (mood, themes, plot) are the retrieval query.

A later turn overrides an earlier one: a new year bound replaces the old one, a
genre the user now excludes leaves the included genres, "the 90s are fine"
widens the era. `LedgerUpdate` is what one turn says (from the deterministic
extractor, refined by an LLM when one is capable); `apply_update` folds it into
the ledger. Both are plain pydantic models, stored in the LangGraph checkpoint
as JSON.

The constraint fields have one source: `FilterArgs`, the filter tool's argument schema
(catalog -> tools -> agent). `ledger_fields.FILTER_FIELDS` says which Ledger and
LedgerUpdate field holds each of its fields (or why none does), `NOT_FILTER_FIELDS` and
`UPDATE_ONLY_FIELDS` there name the rest, and `refine.READING_FIELDS` maps the LLM's
reading onto LedgerUpdate; tests/agent/test_constraint_fields.py fails, naming the
field, when one of the four models gains a field these tables do not place.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from convrec.agent.ledger_fields import HARD_FIELDS
from convrec.tools.filters import FilterArgs, PersonRef
from convrec.tools.soft import SoftPreference

Role = Literal["actor", "director", "any"]
GenreMode = Literal["any", "all"]
MAX_WISHES = 4


class Stamped(BaseModel):
    """A value and the turn it was said in."""

    value: int | float
    turn: int


class PersonPref(BaseModel):
    name: str
    role: Role = "any"
    turn: int


class Wish(BaseModel):
    text: str
    turn: int


class SoftPref(SoftPreference):
    """A soft preference and the turn it was (last) said in."""

    turn: int
    said: int = Field(default=1, description="How many turns have said it")


class Ledger(BaseModel):
    """What the user wants so far (see the module docstring); its hard constraints are
    FilterArgs fields, placed by `ledger_fields.FILTER_FIELDS`."""

    genres_include: dict[str, int] = Field(default_factory=dict, description="genre -> turn")
    genre_mode: GenreMode = "any"
    genres_exclude: dict[str, int] = Field(default_factory=dict)
    year_from: Stamped | None = None
    year_to: Stamped | None = None
    runtime_min: Stamped | None = None
    runtime_max: Stamped | None = None
    languages: dict[str, int] = Field(default_factory=dict, description="language -> turn")
    min_rating: Stamped | None = None
    people_include: dict[str, PersonPref] = Field(default_factory=dict)
    people_exclude: dict[str, PersonPref] = Field(default_factory=dict)
    studios_include: dict[str, int] = Field(default_factory=dict, description="'a Ghibli film'")
    studios_exclude: dict[str, int] = Field(default_factory=dict, description="'no Pixar'")
    keywords_include: dict[str, int] = Field(default_factory=dict, description="'a heist film'")
    keywords_exclude: dict[str, int] = Field(default_factory=dict, description="'no zombies'")
    liked: dict[int, int] = Field(default_factory=dict, description="item id -> turn")
    disliked: dict[int, int] = Field(default_factory=dict)
    seen: dict[int, int] = Field(default_factory=dict)
    rejected: dict[int, int] = Field(default_factory=dict)
    shown: dict[int, int] = Field(default_factory=dict, description="recommended -> turn")
    avoid: dict[int, int] = Field(
        default_factory=dict, description="sequels of a film the user wants something unlike"
    )
    last_shown: list[int] = Field(default_factory=list, description="the latest list, in order")
    wishes: list[Wish] = Field(default_factory=list)
    soft: dict[str, SoftPref] = Field(
        default_factory=dict,
        description="kind:value -> what the user leans toward or away from (scored, never "
        "filtered on)",
    )
    context: str | None = Field(
        default=None, description="The rest of a long request, for retrieval (not a chip)"
    )
    goal_plan: dict[str, Any] | None = Field(
        default=None, description="The latest multi-part plan (convrec.agent.goals.GoalPlan, "
        "as JSON): its sub-goals with their turn and the films chosen for each slot",
    )
    steer_after: int = Field(
        default=0, description="Films shown up to this turn were chosen under constraints "
        "the user has since removed: they no longer steer the ranker (never shown again)",
    )

    # ------------------------------------------------------------------ reading

    def has_hard_constraints(self) -> bool:
        return any(getattr(self, name) for name in HARD_FIELDS)

    def hard_count(self) -> int:
        return sum((
            len(self.genres_include), len(self.genres_exclude),
            self.year_from is not None or self.year_to is not None,
            self.runtime_min is not None or self.runtime_max is not None,
            bool(self.languages), self.min_rating is not None,
            len(self.people_include), len(self.people_exclude),
            bool(self.keywords_include), len(self.keywords_exclude),
            bool(self.studios_include), len(self.studios_exclude),
        ))

    def excluded_ids(self) -> list[int]:
        """Films never to show: seen, rejected, disliked, liked (named by the user), shown."""
        ids = {*self.seen, *self.rejected, *self.disliked, *self.liked, *self.shown, *self.avoid}
        return sorted(ids)

    def query(self) -> str | None:
        """The soft wishes as one retrieval query, newest last, then a long request's context."""
        text = " ".join([*(w.text for w in self.wishes), self.context or ""]).strip()
        return text or None

    def soft_preferences(self) -> list[SoftPreference]:
        """The soft preferences as the recommender scores them."""
        return [SoftPreference.model_validate(p.model_dump(exclude={"turn", "said"}))
                for p in self.soft.values()]

    def to_filter(self, *, with_exclusions: bool = False) -> FilterArgs | None:
        """The hard constraints as filter arguments (None when there are none)."""
        genres = sorted(self.genres_include)
        fields: dict[str, object] = {
            "genres_any": genres if self.genre_mode == "any" else [],
            "genres_all": genres if self.genre_mode == "all" else [],
            "genres_none": sorted(self.genres_exclude),
            "year_from": int(self.year_from.value) if self.year_from else None,
            "year_to": int(self.year_to.value) if self.year_to else None,
            "runtime_min": int(self.runtime_min.value) if self.runtime_min else None,
            "runtime_max": int(self.runtime_max.value) if self.runtime_max else None,
            "languages": sorted(self.languages),
            "min_rating": float(self.min_rating.value) if self.min_rating else None,
            "people_include": [PersonRef(name=p.name, role=p.role)
                               for p in self.people_include.values()],
            "people_exclude": [PersonRef(name=p.name, role=p.role)
                               for p in self.people_exclude.values()],
            "keywords_any": sorted(self.keywords_include),
            "keywords_none": sorted(self.keywords_exclude),
            "studios_any": sorted(self.studios_include),
            "studios_none": sorted(self.studios_exclude),
            "exclude_ids": self.excluded_ids() if with_exclusions else [],
        }
        if not any(v not in (None, []) for v in fields.values()):
            return None
        return FilterArgs.model_validate(fields)

    def describe(self) -> list[str]:
        """The constraints as short chips, e.g. 'Comedy', 'no Horror', '1990-1999'."""
        return [chip.label for chip in self.chips(split_genres=False)]

    def chips(self, *, split_genres: bool = True, split_studios: bool = False) -> list[Chip]:
        """The constraints as removable chips: a label to show and the key `without` takes.

        `split_genres` gives each wanted genre its own chip (the UI removes one at a time);
        without it the wanted genres are one chip, 'Comedy or Drama'. `split_studios` does
        the same for the wanted studios (the relax reply offers to drop one at a time).
        """
        chips: list[Chip] = []
        if self.genres_include:
            if split_genres and len(self.genres_include) > 1:
                chips += [Chip(key=f"genre:{g}", label=g) for g in sorted(self.genres_include)]
            else:
                joiner = " or " if self.genre_mode == "any" else " + "
                chips.append(Chip(key="genres", label=joiner.join(sorted(self.genres_include))))
        chips += [Chip(key=f"no-genre:{g}", label=f"no {g}") for g in sorted(self.genres_exclude)]
        era = _range_text(self.year_from, self.year_to)
        if era:
            chips.append(Chip(key="era", label=era))
        runtime = None
        if self.runtime_max and self.runtime_min:
            runtime = f"{self.runtime_min.value:.0f}-{self.runtime_max.value:.0f} min"
        elif self.runtime_max:
            runtime = f"under {self.runtime_max.value:.0f} min"
        elif self.runtime_min:
            runtime = f"over {self.runtime_min.value:.0f} min"
        if runtime:
            chips.append(Chip(key="runtime", label=runtime))
        if self.languages:
            chips.append(Chip(key="languages", label="in " + " or ".join(sorted(self.languages))))
        if self.min_rating:
            chips.append(Chip(key="rating", label=f"rated {self.min_rating.value:g}+/10"))
        chips += [Chip(key=f"person:{k}", label=f"with {p.name}")
                  for k, p in self.people_include.items()]
        chips += [Chip(key=f"no-person:{k}", label=f"no {p.name}")
                  for k, p in self.people_exclude.items()]
        if self.keywords_include:
            chips.append(Chip(key="keywords", label=" or ".join(sorted(self.keywords_include))))
        chips += [Chip(key=f"no-keyword:{k}", label=f"no {k}")
                  for k in sorted(self.keywords_exclude)]
        if split_studios and len(self.studios_include) > 1:
            chips += [Chip(key=f"studio:{s}", label=f"by {s}")
                      for s in sorted(self.studios_include)]
        elif self.studios_include:
            studios = " or ".join(sorted(self.studios_include))
            chips.append(Chip(key="studios", label=f"by {studios}"))
        chips += [Chip(key=f"no-studio:{s}", label=f"not by {s}")
                  for s in sorted(self.studios_exclude)]
        chips += [Chip(key=f"wish:{w.text}", label=f"about: {w.text}") for w in self.wishes]
        chips += [Chip(key=f"soft:{k}", label=p.label(), hard=False)
                  for k, p in self.soft.items()]
        return chips

    def without(self, key: str) -> Ledger:
        """A copy with the constraint behind chip `key` removed (see `chips`).

        Films the user liked, saw or turned down are not chips and stay. An unknown key
        raises ValueError: the chip was removed already, or never existed.
        """
        new = self.model_copy(deep=True)
        kind, _, value = key.partition(":")
        simple: dict[str, dict[str, object]] = {
            "genres": {"genres_include": {}, "genre_mode": "any"},
            "era": {"year_from": None, "year_to": None},
            "runtime": {"runtime_min": None, "runtime_max": None},
            "languages": {"languages": {}},
            "rating": {"min_rating": None},
            "keywords": {"keywords_include": {}},
            "studios": {"studios_include": {}},
        }
        known = {c.key for split in (False, True)
                 for c in self.chips(split_genres=split, split_studios=split)}
        if key not in known:
            raise ValueError(f"no constraint {key!r} in the ledger")
        if kind in simple and not value:
            for name, empty in simple[kind].items():
                setattr(new, name, empty)
        elif kind in _KEYED:
            getattr(new, _KEYED[kind]).pop(value, None)
            if kind == "genre" and not new.genres_include:
                new.genre_mode = "any"
        elif kind == "wish":
            new.wishes = [w for w in new.wishes if w.text != value]
        elif kind == "soft":
            new.soft.pop(value, None)
        new.steer_after = max([new.steer_after, *new.shown.values()])
        return new

    def position(self, key: str) -> int:
        """Where the entry behind chip `key` sits among its field's entries, in the order
        they were first said (0 for a chip that stands for a whole field)."""
        kind, _, value = key.partition(":")
        entries = list(getattr(self, _KEYED[kind])) if kind in _KEYED else []
        return entries.index(value) if value in entries else 0


# chip kind -> the ledger field whose entries its chips remove one at a time (`without`)
_KEYED: dict[str, str] = {
    "genre": "genres_include", "no-genre": "genres_exclude",
    "person": "people_include", "no-person": "people_exclude",
    "studio": "studios_include", "no-studio": "studios_exclude",
    "no-keyword": "keywords_exclude",
}


class Chip(BaseModel):
    """One removable constraint as the UI shows it."""

    key: str
    label: str
    hard: bool = Field(default=True, description="False: a leaning, which only reorders films")


def _range_text(low: Stamped | None, high: Stamped | None) -> str | None:
    if low and high:
        a, b = int(low.value), int(high.value)
        return f"{a}-{b}" if a != b else str(a)
    if low:
        return f"from {int(low.value)}"
    if high:
        return f"up to {int(high.value)}"
    return None


class LedgerUpdate(BaseModel):
    """What one user turn says about their wants. Every field is optional."""

    genres_include: list[str] = Field(default_factory=list)
    genre_mode: GenreMode = "any"
    genres_add: bool = Field(
        default=False, description="'also ...': add to the genres, don't replace"
    )
    genres_exclude: list[str] = Field(default_factory=list)
    genres_allow: list[str] = Field(default_factory=list, description="'horror is fine'")
    genres_clear: bool = Field(default=False, description="'any genre', 'any Meg Ryan film'")
    year_from: int | None = None
    year_to: int | None = None
    era_clear: bool = False
    runtime_min: int | None = None
    runtime_max: int | None = None
    runtime_clear: bool = False
    languages: list[str] = Field(default_factory=list)
    languages_clear: bool = False
    min_rating: float | None = None
    rating_clear: bool = False
    people_include: list[PersonRef] = Field(default_factory=list)
    people_exclude: list[PersonRef] = Field(default_factory=list)
    people_allow: list[str] = Field(default_factory=list)
    people_clear: bool = False
    keywords_include: list[str] = Field(default_factory=list)
    keywords_exclude: list[str] = Field(default_factory=list)
    studios_include: list[str] = Field(default_factory=list)
    studios_exclude: list[str] = Field(default_factory=list)
    studios_allow: list[str] = Field(default_factory=list)
    liked_ids: list[int] = Field(default_factory=list)
    disliked_ids: list[int] = Field(default_factory=list)
    seen_ids: list[int] = Field(default_factory=list)
    rejected_ids: list[int] = Field(default_factory=list)
    avoid_ids: list[int] = Field(default_factory=list)
    wishes: list[str] = Field(default_factory=list)
    clear_wishes: bool = False
    soft: list[SoftPreference] = Field(
        default_factory=list, description="Leanings: scored over the candidates, never filters"
    )
    context: str | None = Field(
        default=None, description="The rest of a long request, for retrieval"
    )
    confirm: list[str] = Field(
        default_factory=list, description="Leanings the user confirmed ('yes'): made hard"
    )
    drop: list[str] = Field(
        default_factory=list,
        description="'genre:Drama', 'person:Tom Hanks': no longer wanted ('X instead of Y'), "
        "whether it was a constraint or a leaning; not refused either",
    )
    reset: bool = Field(
        default=False, description="'start over': drop every constraint and wish"
    )

    def is_empty(self) -> bool:
        return self == LedgerUpdate()

    def merged(self, other: LedgerUpdate) -> LedgerUpdate:
        """This update plus what `other` adds (lists are unioned; set scalars win if ours unset)."""
        data = self.model_dump()
        for name, value in other.model_dump().items():
            mine = data[name]
            if isinstance(mine, list):
                data[name] = mine + [v for v in value if v not in mine]
            elif isinstance(mine, bool):
                data[name] = mine or value
            elif mine in (None, "any") and value not in (None, "any"):
                data[name] = value
        return LedgerUpdate.model_validate(data)
