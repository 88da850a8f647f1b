"""One searchable text per catalog item, shared by the BM25 and dense indexes.

The text gathers what a person might type about a film: its titles (display, original,
aliases, as written in ReDial), year, genres, TMDB overview and tagline, TMDB keywords,
MovieLens tags, directors and top-billed cast. It is built from a handful of set-based
queries over the whole catalog (one per table), never one query per item, so the real
catalog (13.5k items) takes well under a second.

`item_fields` keeps the parts apart (BM25 uses them to say which field a query term matched);
`item_documents` renders them into one labelled text per item (what the dense model embeds
and what BM25 indexes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from convrec.catalog.db import TOP_CAST, Catalog
from convrec.catalog.records import title_year

# Most films have a handful of MovieLens tags, a few have over a hundred; the most frequent
# ones say what the film is about, the long tail is mostly noise that bloats the document.
MAX_TAGS = 30


@dataclass
class ItemFields:
    """The searchable parts of one item, in display order."""

    item_id: int
    title: str
    year: int | None = None
    other_titles: list[str] = field(default_factory=list)
    genres: list[str] = field(default_factory=list)
    overview: str = ""
    tagline: str = ""
    keywords: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    directors: list[str] = field(default_factory=list)
    cast: list[str] = field(default_factory=list)

    def field_texts(self) -> dict[str, str]:
        """Field name -> text, for the fields BM25 evidence names (empty fields left out)."""
        parts = {
            "title": " ".join([self.title, *self.other_titles]),
            "year": str(self.year) if self.year else "",
            "genre": " ".join(self.genres),
            "plot": " ".join(p for p in (self.overview, self.tagline) if p),
            "keyword": " ".join(self.keywords),
            "tag": " ".join(self.tags),
            "people": " ".join([*self.directors, *self.cast]),
        }
        return {name: text for name, text in parts.items() if text}

    def document(self) -> str:
        """The item as one labelled text.

        What the film is about comes first and names last: the dense model reads only the
        first 256 word pieces and mean-pools them, so plot, genres, keywords and tags carry
        the meaning while cast lists and foreign titles mostly add noise. (On a probe set,
        moving people and aliases to the end lifted "heist crew robs a casino" -> Ocean's
        Eleven from rank 20 to rank 9.)
        """
        lines = [title_year(self.title, self.year) + "."]
        if self.genres:
            lines.append("Genres: " + ", ".join(self.genres) + ".")
        if self.overview:
            lines.append(self.overview)
        if self.tagline:
            lines.append(self.tagline)
        if self.keywords:
            lines.append("Keywords: " + ", ".join(self.keywords) + ".")
        if self.tags:
            lines.append("Tags: " + ", ".join(self.tags) + ".")
        if self.directors:
            lines.append("Directed by " + ", ".join(self.directors) + ".")
        if self.cast:
            lines.append("Starring " + ", ".join(self.cast) + ".")
        if self.other_titles:
            lines.append("Also known as: " + "; ".join(self.other_titles) + ".")
        return " ".join(lines)


def item_fields(catalog: Catalog) -> dict[int, ItemFields]:
    """Every item's searchable fields, keyed by item id (ascending)."""
    items: dict[int, ItemFields] = {}
    for row in catalog.query(
        "SELECT item_id, title, year, overview, tagline FROM items ORDER BY item_id"
    ):
        items[row[0]] = ItemFields(
            item_id=row[0],
            title=row[1],
            year=row[2],
            overview=(row[3] or "").strip(),
            tagline=(row[4] or "").strip(),
        )

    # All known titles, shown once each (case-insensitively), the display title first.
    seen: dict[int, set[str]] = {i: {f.title.casefold()} for i, f in items.items()}
    for item_id, title in catalog.query(
        "SELECT item_id, title FROM item_titles ORDER BY item_id, "
        "CASE kind WHEN 'display' THEN 0 WHEN 'original' THEN 1 WHEN 'alias' THEN 2 ELSE 3 END, "
        "title"
    ):
        _add_unique(items, seen, item_id, title, "other_titles")

    for item_id, name in catalog.query(
        "SELECT ig.item_id, g.name FROM item_genres ig JOIN genres g USING (genre_id) "
        "ORDER BY ig.item_id, g.name"
    ):
        _append(items, item_id, "genres", name)

    for item_id, name in catalog.query(
        "SELECT ik.item_id, k.name FROM item_keywords ik JOIN keywords k USING (keyword_id) "
        "ORDER BY ik.item_id, k.name"
    ):
        _append(items, item_id, "keywords", name)

    # Distinct tags (case-insensitive), most used first, at most MAX_TAGS per item.
    for item_id, tag in catalog.query(
        "SELECT item_id, tag FROM ("
        "  SELECT item_id, MIN(tag) AS tag, ROW_NUMBER() OVER ("
        "    PARTITION BY item_id ORDER BY COUNT(*) DESC, LOWER(TRIM(tag))) AS rank"
        "  FROM tags WHERE TRIM(tag) != '' GROUP BY item_id, LOWER(TRIM(tag))"
        ") WHERE rank <= ? ORDER BY item_id, rank",
        [MAX_TAGS],
    ):
        _append(items, item_id, "tags", tag.strip())

    for item_id, role, name in catalog.query(
        "SELECT c.item_id, c.role, p.name FROM credits c JOIN people p USING (person_id) "
        "WHERE c.role = 'director' OR (c.role = 'actor' AND c.ord < ?) "
        "ORDER BY c.item_id, c.role, c.ord",
        [TOP_CAST],
    ):
        _append(items, item_id, "directors" if role == "director" else "cast", name)
    return items


def item_documents(catalog: Catalog) -> dict[int, str]:
    """One text per item (see `ItemFields.document`), keyed by item id (ascending)."""
    return {item_id: f.document() for item_id, f in item_fields(catalog).items()}


def _append(items: dict[int, ItemFields], item_id: int, attr: str, value: str) -> None:
    target = items.get(item_id)
    if target is not None and value:
        getattr(target, attr).append(value)


def _add_unique(
    items: dict[int, ItemFields],
    seen: dict[int, set[str]],
    item_id: int,
    value: str,
    attr: str,
) -> None:
    key = value.strip().casefold()
    if item_id in seen and key and key not in seen[item_id]:
        seen[item_id].add(key)
        _append(items, item_id, attr, value.strip())
