"""Typed records read from the catalog."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


def title_year(title: str, year: int | None) -> str:
    """'Heat (1995)': how a film is named to a person; the title alone when the year is unknown.

    Markdown callers pass the bold title ('**Heat**') so the year stays outside the bold."""
    return f"{title} ({year})" if year else title


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class Person(_Record):
    person_id: int
    name: str


class Credit(_Record):
    person: Person
    role: str  # actor | director | writer
    character: str | None = None
    order: int = 0


class Item(_Record):
    """A film with the facts the tools and the agent show and reason about."""

    item_id: int
    title: str
    year: int | None
    source: str
    genres: tuple[str, ...] = ()
    runtime: int | None = None
    original_language: str | None = None
    overview: str | None = None
    tagline: str | None = None
    release_date: str | None = None
    vote_average: float | None = None
    vote_count: int | None = None
    popularity: float | None = None
    rating_mean: float | None = None
    rating_count: int = 0
    redial_mentions: int = 0
    ml_movie_id: int | None = None
    tmdb_id: int | None = None
    imdb_id: str | None = None
    directors: tuple[Person, ...] = ()
    cast: tuple[Person, ...] = ()  # top-billed first

    @property
    def label(self) -> str:
        """'Heat (1995)': how a film is named to a person."""
        return title_year(self.title, self.year)


class Review(_Record):
    review_id: int
    item_id: int | None
    rt_movie_id: int
    critic: str | None
    top_critic: bool
    publisher: str | None
    text: str
    score_raw: str | None
    score: float | None  # the critic's score mapped to [0, 1]
    fresh: bool | None
    date: str | None
