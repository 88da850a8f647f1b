"""The words for each catalog genre: one table, read three ways.

- `request`: words people use when they ask for the genre ("funny", "scary", "rom com");
  the agent's extractor reads a request with them (`REQUEST_WORDS`: word -> genres, a
  word may name two, "rom com" is Comedy and Romance).
- `review`: words in a critic's review that name the genre. Narrower on purpose: a review
  calling a film "funny" or "scary" says nothing about its genre, and "family" alone is
  mostly about a plot's family (`REVIEW_WORDS`: genre -> words, for the user-profile build).
- `spoken`: how the simulated user names the genre when that is not its lower-cased name;
  "" for a genre nobody asks for by name (`spoken_name`).

Words are lower case; the readers fold case, accents and punctuation themselves.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GenreWords:
    request: tuple[str, ...] = ()
    review: tuple[str, ...] = ()
    spoken: str | None = None  # None: the genre's name in lower case


GENRES: dict[str, GenreWords] = {
    "Action": GenreWords(request=("action", "action packed"), review=("action",)),
    "Adventure": GenreWords(request=("adventure", "adventures"),
                            review=("adventure", "adventures")),
    "Animation": GenreWords(
        request=("animation", "animated", "cartoon", "cartoons", "anime"),
        review=("animated", "animation", "cartoon", "cartoons")),
    "Comedy": GenreWords(
        request=("comedy", "comedies", "funny", "hilarious", "comedic", "laugh", "rom com",
                 "romcom", "rom coms", "romcoms", "romantic comedy", "romantic comedies"),
        review=("comedy", "comedies", "comedic", "rom-com", "rom-coms", "romcom")),
    "Crime": GenreWords(request=("crime", "gangster"),
                        review=("crime", "gangster", "gangsters", "mobster", "mobsters")),
    "Documentary": GenreWords(request=("documentary", "documentaries", "doc", "docs"),
                              review=("documentary", "documentaries")),
    "Drama": GenreWords(request=("drama", "dramas", "dramatic"), review=("drama", "dramas")),
    "Family": GenreWords(
        request=("family", "family friendly", "kids", "children", "childrens"),
        review=("family film", "family movie", "kids' movie", "children's film")),
    "Fantasy": GenreWords(request=("fantasy", "fantasies"), review=("fantasy", "fantasies")),
    "Film-Noir": GenreWords(request=("film noir", "noir"), review=("noir",),
                            spoken="film noir"),
    "Foreign": GenreWords(spoken=""),
    "History": GenreWords(request=("history", "historical", "period"),
                          review=("historical", "period piece", "biopic")),
    "Horror": GenreWords(
        request=("horror", "scary", "spooky", "slasher", "horrors", "frightening"),
        review=("horror", "slasher", "slashers")),
    "Music": GenreWords(request=("music",)),
    "Musical": GenreWords(request=("musical", "musicals"), review=("musical", "musicals")),
    "Mystery": GenreWords(request=("mystery", "mysteries", "whodunit"),
                          review=("mystery", "mysteries", "whodunit")),
    "Romance": GenreWords(
        request=("romance", "romantic", "romances", "love story", "love stories", "rom com",
                 "romcom", "rom coms", "romcoms", "romantic comedy", "romantic comedies"),
        review=("romance", "romantic", "rom-com", "rom-coms", "love story")),
    "Science Fiction": GenreWords(
        request=("sci fi", "scifi", "science fiction", "sf"),
        review=("sci-fi", "science fiction", "science-fiction", "scifi"),
        spoken="science fiction"),
    "TV Movie": GenreWords(request=("tv movie",), spoken=""),
    "Thriller": GenreWords(request=("thriller", "thrillers", "suspense", "suspenseful"),
                           review=("thriller", "thrillers", "suspense")),
    "War": GenreWords(request=("war", "war movie", "war film"),
                      review=("war film", "war movie", "war drama", "war epic", "combat")),
    "Western": GenreWords(request=("western", "westerns", "cowboy"),
                          review=("western", "westerns")),
}


def _request_words() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for genre, words in GENRES.items():
        for word in words.request:
            out[word] = (*out.get(word, ()), genre)
    return out


REQUEST_WORDS: dict[str, tuple[str, ...]] = _request_words()
REVIEW_WORDS: dict[str, tuple[str, ...]] = {g: w.review for g, w in GENRES.items() if w.review}


def spoken_name(genre: str) -> str:
    """How the simulated user names a catalog genre; '' for genres nobody asks for by name."""
    words = GENRES.get(genre)
    if words is None or words.spoken is None:
        return genre.lower()
    return words.spoken
