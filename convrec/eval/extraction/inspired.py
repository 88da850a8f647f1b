"""INSPIRED seeker utterances with what each one mentions, mapped onto the catalog.

INSPIRED (Hayati et al., EMNLP 2020) annotates every utterance with the films (`movies`,
"Title (Year)"), genres (`genres`, free labels such as "sci-fi") and people
(`people_names`) it mentions, ";"-separated. Genre labels are mapped onto catalog genres by
the explicit table below; a label may stand for several genres at once ("romantic comedy":
Comedy and Romance) or for any one of several ("superhero": Action, Adventure, Science
Fiction or Fantasy). Labels the table does not know map to nothing and are reported.
Films resolve by exact title key and a year within one; people by the catalog's name key.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from convrec.catalog.db import Catalog
from convrec.catalog.normalize import person_key, split_year, title_key
from convrec.errors import ConvrecError
from convrec.eval.extraction.paths import inspired_file
from convrec.tools.lookup import TitleIndex


@dataclass(frozen=True)
class GenreLabel:
    """One annotated genre label: `genres` all meant (any_of False) or any one (True)."""

    label: str
    genres: frozenset[str]
    any_of: bool = False


def _all(*genres: str) -> tuple[frozenset[str], bool]:
    return frozenset(genres), False


def _any(*genres: str) -> tuple[frozenset[str], bool]:
    return frozenset(genres), True


GENRE_MAP: dict[str, tuple[frozenset[str], bool]] = {
    "action": _all("Action"), "adventure": _all("Adventure"),
    "animation": _all("Animation"), "animated": _all("Animation"),
    "cartoon": _all("Animation"), "anime": _all("Animation"),
    "comedy": _all("Comedy"), "comedies": _all("Comedy"), "funny": _all("Comedy"),
    "crime": _all("Crime"), "documentary": _all("Documentary"),
    "drama": _all("Drama"), "family": _all("Family"), "kids": _all("Family"),
    "fantasy": _all("Fantasy"), "history": _all("History"), "historical": _all("History"),
    "horror": _all("Horror"), "scary": _all("Horror"), "slasher": _all("Horror"),
    "music": _all("Music"), "musical": _any("Musical", "Music"),
    "mystery": _all("Mystery"), "romance": _all("Romance"), "romantic": _all("Romance"),
    "romantic comedy": _all("Comedy", "Romance"), "rom com": _all("Comedy", "Romance"),
    "romcom": _all("Comedy", "Romance"),
    "sci-fi": _all("Science Fiction"), "sci fi": _all("Science Fiction"),
    "science fiction": _all("Science Fiction"), "scifi": _all("Science Fiction"),
    "thriller": _all("Thriller"), "suspense": _any("Thriller", "Mystery"),
    "war": _all("War"), "western": _all("Western"), "noir": _all("Film-Noir"),
    "film noir": _all("Film-Noir"), "disney": _any("Animation", "Family"),
    "superhero": _any("Action", "Adventure", "Science Fiction", "Fantasy"),
    "super hero": _any("Action", "Adventure", "Science Fiction", "Fantasy"),
    "marvel": _any("Action", "Adventure", "Science Fiction", "Fantasy"),
    "biography": _any("History", "Drama"), "biopic": _any("History", "Drama"),
    "sports": _any("Drama", "Comedy"), "spy": _any("Action", "Thriller"),
    "zombie": _all("Horror"), "psychological thriller": _all("Thriller"),
    "dark comedy": _all("Comedy"), "black comedy": _all("Comedy"),
    "action comedy": _all("Action", "Comedy"), "horror comedy": _all("Horror", "Comedy"),
}


def map_genre(label: str) -> GenreLabel | None:
    """The catalog genres of an INSPIRED label (None: the table does not know it)."""
    key = " ".join(label.strip().lower().replace("_", " ").split())
    found = GENRE_MAP.get(key) or GENRE_MAP.get(key.rstrip("s"))
    return None if found is None else GenreLabel(key, *found)


@dataclass(frozen=True)
class Utterance:
    """One INSPIRED seeker utterance and its annotations."""

    dialog_id: str
    utt_id: int
    text: str
    genre_labels: tuple[str, ...]
    genres: tuple[GenreLabel, ...]  # the labels that map onto the catalog
    people: tuple[str, ...]
    movies: tuple[str, ...]  # "Title (Year)"

    @property
    def genre_union(self) -> frozenset[str]:
        """Every catalog genre some label of the utterance supports."""
        return frozenset(g for label in self.genres for g in label.genres)


def _split(cell: str | None) -> tuple[str, ...]:
    return tuple(x.strip() for x in (cell or "").split(";") if x.strip())


def load_inspired(split: str, root: Path | None = None) -> list[Utterance]:
    """Every SEEKER row of dev.tsv or test.tsv with some text, in file order."""
    csv.field_size_limit(sys.maxsize)
    out: list[Utterance] = []
    with inspired_file(split, root).open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            text = (row.get("text") or "").strip()
            if row.get("speaker") != "SEEKER" or not text:
                continue
            labels = _split(row.get("genres"))
            mapped = tuple(m for m in (map_genre(x) for x in labels) if m is not None)
            out.append(Utterance(row["dialog_id"], int(row["utt_id"]), text, labels, mapped,
                                 _split(row.get("people_names")), _split(row.get("movies"))))
    return out


CORRECTED = Path("benchmarks/extract/inspired_corrected.jsonl")


def load_inspired_corrected(split: str, path: Path = CORRECTED,
                            root: Path | None = None) -> list[Utterance]:
    """The same seeker utterances with their labels corrected by hand (every genre, person
    and film the utterance mentions, read by a person; see benchmarks/extract/README.md):
    INSPIRED's own annotation misses many mentions ("rom-coms", "scary", "the Nolan
    films") and names some that are not there ("Oscar (1991)" for the award)."""
    if not path.is_file():
        raise ConvrecError(f"no corrected INSPIRED labels at {path}")
    fixed: dict[tuple[str, int], dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row["split"] == split:
                fixed[(row["dialog_id"], int(row["utt_id"]))] = row
    out: list[Utterance] = []
    for u in load_inspired(split, root):
        row = fixed.get((u.dialog_id, u.utt_id))
        if row is None:
            raise ConvrecError(f"{path} has no labels for {u.dialog_id} #{u.utt_id}")
        genres = tuple(GenreLabel(g.lower(), frozenset([g])) for g in row["genres"])
        if row.get("genres_any_of"):
            genres += (GenreLabel("any of", frozenset(row["genres_any_of"]), any_of=True),)
        out.append(Utterance(u.dialog_id, u.utt_id, u.text, tuple(row["genres"]), genres,
                             tuple(row["people"]), tuple(row["movies"])))
    return out


def unmapped_labels(utterances: Iterable[Utterance]) -> dict[str, int]:
    """Genre labels the mapping table does not know, with their counts."""
    counts: dict[str, int] = {}
    for u in utterances:
        for label in u.genre_labels:
            if map_genre(label) is None:
                counts[label.lower()] = counts.get(label.lower(), 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def resolve_title(written: str, index: TitleIndex) -> int | None:
    """'Title (Year)' -> the catalog film with that title key and a year within one (the
    most popular when several), None when the catalog has no such film."""
    name, year = split_year(written)
    hits = index.titles.get(title_key(name), ())
    ids = [i for i, _, _ in hits
           if year is None or (index.years.get(i) is not None
                               and abs((index.years[i] or 0) - year) <= 1)]
    if not ids:
        return None
    return max(dict.fromkeys(ids), key=lambda i: index.popularity.get(i, 0.0))


def catalog_people(catalog: Catalog, names: Iterable[str]) -> set[str]:
    """The names (of `names`) whose person_key is a catalog person's."""
    wanted = {person_key(n): n for n in names if person_key(n)}
    found: set[str] = set()
    keys = list(wanted)
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for (key,) in catalog.query(
            f"SELECT DISTINCT norm_name FROM people WHERE norm_name IN ({marks})", chunk
        ):
            found.add(wanted[key])
    return found
