"""What the grounder embeds to read a phrase by meaning: genre anchors, catalog terms, moods.

`grounding.Grounder.meaning` compares one embedded phrase with texts embedded once per process:

* each catalog genre as a few anchors (a one-line description, the words people use). The
  anchors carry no frame words ("a ... movie", "something ..."): with them, "a movie" and
  "something good" scored 0.7-0.8 against every genre. The best cosine over anchors counts;
* each keyword / MovieLens tag with `MEANING_MIN_FILMS` films, as its own text, minus
  bookkeeping terms ("duringcreditsstinger");
* curated moods ("tearjerker", "mind-bending") that people say and the catalog rarely
  does: anchors plus the terms (and genres) each leans towards, so "mind-bending" reaches
  the tags "Twist Ending" and "Mindfuck" that too few films carry to be embedded alone.

Texts are encoded with the dense index's encoder (its ONNX query encoder in chunks when it
has one: no torch import); a home without a dense index loads the same MiniLM weights once.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from convrec.errors import ConvrecError
from convrec.tools.context import ToolContext
from convrec.tools.dense import DenseIndex, load_dense, load_model

MEANING_MIN_FILMS = 20  # a keyword / tag term embedded on its own has this many films
MOOD_TARGET_MIN_FILMS = 5  # a mood leans only towards terms with at least this many films
ENCODE_CHUNK = 64
MODEL_RESOURCE = "agent_grounder_model"

# Terms that describe the record, not the film.
NOT_CONTENT = frozenset(
    {
        "duringcreditsstinger",
        "aftercreditsstinger",
        "woman director",
        "independent film",
        "3d",
        "imax",
        "in netflix queue",
        "imdb top 250",
        "sequel",
        "remake",
        "remade",
    }
)

GENRE_ANCHORS: dict[str, tuple[str, ...]] = {
    "Action": (
        "action: fights, chases, explosions and shootouts",
        "action-packed",
        "adrenaline, stunts and big fight scenes",
    ),
    "Adventure": (
        "adventure: journeys, quests and expeditions to exotic places",
        "adventure",
        "treasure hunting and exploring",
    ),
    "Animation": (
        "animation: animated cartoons and anime",
        "animated",
        "cartoons",
        "pixar style computer animation",
    ),
    "Comedy": (
        "comedy: funny, hilarious films that make you laugh",
        "comedy",
        "funny",
        "laugh out loud humor",
    ),
    "Crime": (
        "crime: gangsters, mobsters, robberies and criminals",
        "crime",
        "the mafia and the criminal underworld",
    ),
    "Documentary": (
        "documentary: non-fiction films about real people and events",
        "documentary",
        "real-life documentary footage",
    ),
    "Drama": (
        "drama: serious, emotional stories about people's lives",
        "drama",
        "serious character-driven story",
    ),
    "Family": (
        "family: films for children and the whole family",
        "family-friendly",
        "kid-friendly, suitable for children",
        "for the kids",
    ),
    "Fantasy": (
        "fantasy: magic, wizards, dragons and mythical worlds",
        "fantasy",
        "sword and sorcery, fairy tales and enchanted kingdoms",
    ),
    "Film-Noir": (
        "film noir: 1940s black-and-white crime with detectives and femme fatales",
        "film noir",
        "hard-boiled detectives in the shadows",
    ),
    "History": (
        "history: historical films about real past events and eras",
        "historical",
        "costume drama set in the past",
    ),
    "Horror": (
        "horror: scary, frightening, spooky, terrifying films with monsters, ghosts and killers",
        "horror",
        "scary",
        "creepy and spooky",
    ),
    "Music": (
        "music: films about musicians, bands, singers and concerts",
        "music",
        "a rock band and its songs",
    ),
    "Musical": (
        "musical: characters break into song and dance numbers",
        "musical",
        "song and dance numbers",
    ),
    "Mystery": (
        "mystery: whodunits, puzzles, detectives solving crimes",
        "mystery",
        "whodunit with clues to solve",
    ),
    "Romance": (
        "romance: love stories, couples falling in love",
        "romantic",
        "love story",
        "romance",
    ),
    "Science Fiction": (
        "science fiction: space, aliens, robots, the future and technology",
        "sci-fi",
        "futuristic science fiction",
    ),
    "TV Movie": ("tv movie: a film made for television", "made-for-TV"),
    "Thriller": (
        "thriller: suspenseful, tense, gripping films",
        "thriller",
        "edge of your seat suspense",
        "nail-biting and tense",
    ),
    "War": ("war: soldiers, battles and combat in wartime", "war", "world war two battlefield"),
    "Western": ("western: cowboys, gunslingers and outlaws in the wild west", "western", "cowboys"),
}


@dataclass(frozen=True)
class Mood:
    """A way people describe a film that maps onto catalog terms (and maybe genres)."""

    anchors: tuple[str, ...]
    terms: tuple[str, ...]  # vocab keys of catalog keywords / tags, best first
    genres: tuple[str, ...] = ()


MOODS: dict[str, Mood] = {
    "tearjerker": Mood(
        ("tearjerker", "sad, makes you cry", "something to cry to", "heartbreaking and emotional"),
        ("emotional", "sad", "bittersweet", "loss of mother"),
    ),
    "feel-good": Mood(
        ("feel-good", "uplifting and heartwarming", "makes you happy", "cheerful and wholesome"),
        ("feel good", "heartwarming", "inspirational", "friendship"),
    ),
    "mind-bending": Mood(
        (
            "mind-bending",
            "a mind-blowing plot twist",
            "trippy and mind bending",
            "makes your head spin",
        ),
        ("mind bending", "twist ending", "mindfuck", "surreal", "thought provoking"),
    ),
    "thought-provoking": Mood(
        ("thought-provoking", "makes you think", "intelligent and philosophical", "cerebral"),
        ("thought provoking", "philosophical", "cerebral", "intelligent"),
    ),
    "dark": Mood(
        ("dark and bleak", "grim and disturbing", "bleak and depressing"),
        ("dark", "disturbing", "depressing"),
    ),
    "creepy": Mood(
        ("creepy and eerie", "an unsettling atmosphere", "spine-chilling"),
        ("creepy", "atmospheric", "supernatural"),
        ("Horror",),
    ),
    "quirky": Mood(
        ("quirky and offbeat", "weird in a charming way", "whimsical"),
        ("quirky", "surreal", "dark comedy"),
    ),
    "gritty": Mood(("gritty and raw", "gritty realistic violence"), ("gritty", "violence")),
    "date night": Mood(
        ("date night", "romantic, to watch as a couple"),
        ("romantic comedy", "falling in love", "love"),
        ("Romance",),
    ),
    "cult classic": Mood(("cult classic", "cult film"), ("cult film", "classic")),
    "inspiring": Mood(
        ("inspiring", "an inspirational, motivational story", "an underdog who triumphs"),
        ("inspirational", "underdog", "based on true story"),
    ),
    "true story": Mood(
        ("based on a true story", "real events", "a biopic about a real person"),
        ("based on true story", "biography", "historical figure"),
    ),
    "coming of age": Mood(
        ("coming of age", "growing up", "teenage years"),
        ("coming of age", "adolescence", "teenager", "high school"),
    ),
    "tense": Mood(
        ("tense", "edge of your seat", "nail-biting suspense", "gripping"),
        ("suspense", "tense"),
        ("Thriller",),
    ),
    "visually stunning": Mood(
        ("visually stunning", "beautiful cinematography", "gorgeous to look at", "stylish visuals"),
        ("visually appealing", "cinematography", "visually stunning", "stylized", "beautiful"),
    ),
    "witty": Mood(
        ("witty", "clever dialogue", "sharp and smart humor"), ("witty", "clever", "satire")
    ),
    "bittersweet": Mood(
        ("bittersweet", "touching and poignant", "moving"),
        ("bittersweet", "touching", "poignant", "emotional"),
    ),
    "dreamlike": Mood(
        ("dreamlike", "trippy and hallucinatory", "psychedelic"),
        ("dreamlike", "surreal", "hallucination", "hallucinatory"),
    ),
    "gory": Mood(
        ("gory", "bloody and gruesome", "lots of gore", "splatter"),
        ("gore", "blood", "slasher", "violence"),
        ("Horror",),
    ),
    "action-packed": Mood(
        ("action-packed", "lots of explosions and car chases"),
        ("explosion", "car chase", "shootout", "fight"),
        ("Action",),
    ),
    "music": Mood(
        ("about music", "musicians", "about a band", "rock and roll"),
        ("music", "musician", "singer", "rock and roll", "concert"),
    ),
    "dance": Mood(("about dancing", "dance"), ("dancing", "dance"), ("Musical",)),
    "sports": Mood(
        ("sports", "about sport and athletes", "the big game"),
        ("sport", "sports", "competition", "underdog"),
    ),
    "space": Mood(
        ("set in outer space", "space travel and spaceships", "astronauts"),
        ("space", "space travel", "spaceship", "astronaut", "space opera"),
        ("Science Fiction",),
    ),
    "heist": Mood(
        ("heist", "bank robbery caper", "pulling off a big robbery"),
        ("heist", "robbery"),
        ("Crime",),
    ),
    "spoof": Mood(
        ("spoof", "parody", "silly slapstick"), ("spoof", "parody", "slapstick"), ("Comedy",)
    ),
    "satire": Mood(
        ("satire", "political satire", "social commentary"),
        ("satire", "social commentary", "politics"),
    ),
    "paranoid": Mood(
        ("paranoid", "conspiracy", "nobody can be trusted"), ("paranoia", "conspiracy")
    ),
    "lonely": Mood(
        ("lonely", "loneliness and isolation", "melancholy"), ("loneliness", "melancholy")
    ),
    "existential": Mood(("existential", "the meaning of life"), ("existentialism", "philosophy")),
    "post-apocalyptic": Mood(
        ("post-apocalyptic", "after the end of the world", "dystopian"),
        ("post apocalyptic", "dystopia"),
    ),
    "christmas": Mood(("christmas", "holiday season"), ("christmas", "holiday")),
    "road trip": Mood(
        ("road trip", "road movie", "driving across the country"), ("road trip", "road movie")
    ),
    "buddy": Mood(
        ("buddy comedy", "two mismatched partners"), ("buddy comedy", "buddy cop", "friendship")
    ),
    "steamy": Mood(("steamy and sexy", "erotic"), ("sex", "sexuality")),
    "time travel": Mood(("time travel", "going back in time", "a time loop"), ("time travel",)),
    "animals": Mood(
        ("about animals", "a dog", "animal friends"), ("animal", "dog", "animal movie")
    ),
}


@dataclass(frozen=True)
class MeaningEntry:
    """One thing a phrase can mean: what it grounds to, and what is embedded for it."""

    grounds: tuple[tuple[str, str], ...]  # (kind, catalog value) pairs, best first
    source: str  # "genre", "term" or "mood": which threshold applies
    label: str  # the genre, term or mood name (for traces and dev reports)


class MeaningIndex:
    """The embedded anchors of every meaning entry; rows of one entry are contiguous."""

    def __init__(
        self, entries: list[MeaningEntry], texts: list[list[str]], vectors: np.ndarray
    ) -> None:
        self.entries = entries
        self.vectors = vectors
        sizes = np.array([len(t) for t in texts], dtype=np.int64)
        self.starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Per entry, the best cosine between `query` (a unit vector) and its anchors."""
        return np.maximum.reduceat(self.vectors @ query, self.starts)


def meaning_entries(
    genres: Collection[str], counts: dict[str, int], term_names: dict[str, str]
) -> tuple[list[MeaningEntry], list[list[str]]]:
    """The entries (and their anchor texts) for a catalog's genres and terms."""
    entries: list[MeaningEntry] = []
    texts: list[list[str]] = []
    for genre, anchors in GENRE_ANCHORS.items():
        if genre in genres:
            entries.append(MeaningEntry((("genre", genre),), "genre", genre))
            texts.append(list(anchors))
    for key, n in sorted(counts.items()):
        if n >= MEANING_MIN_FILMS and key not in NOT_CONTENT and key in term_names:
            entries.append(MeaningEntry((("keyword", term_names[key]),), "term", key))
            texts.append([key])
    for name, mood in MOODS.items():
        grounds = [
            ("keyword", term_names[t])
            for t in mood.terms
            if counts.get(t, 0) >= MOOD_TARGET_MIN_FILMS and t in term_names
        ]
        grounds += [("genre", g) for g in mood.genres if g in genres]
        if grounds:
            entries.append(MeaningEntry(tuple(grounds), "mood", name))
            texts.append(list(mood.anchors))
    return entries, texts


def _dense(ctx: ToolContext) -> DenseIndex | None:
    try:
        return load_dense(ctx)
    except ConvrecError:  # no dense index built (a BM25-only home): the model alone will do
        return None


def _fallback_model(ctx: ToolContext) -> Any:
    """The sentence-transformers model, loaded once per Resources, for homes without a
    dense index (the same weights the index would use)."""
    return ctx.resources.get(MODEL_RESOURCE, load_model)


def encode_many(ctx: ToolContext, texts: Sequence[str]) -> np.ndarray:
    """Unit vectors of many short texts with the dense index's already-loaded encoder (its
    ONNX query encoder in chunks when it has one: no torch import)."""
    index = _dense(ctx)
    if index is None:
        return _unit_rows(_fallback_model(ctx).encode(list(texts), batch_size=ENCODE_CHUNK))
    onnx = index.onnx_encoder
    if onnx is None:
        return index.encode(list(texts), cache=False)
    chunks = [onnx(texts[i : i + ENCODE_CHUNK]) for i in range(0, len(texts), ENCODE_CHUNK)]
    return np.concatenate(chunks).astype(np.float32)


def encode_phrase(ctx: ToolContext, phrase: str) -> np.ndarray:
    """The unit vector of one phrase: one encode call (cached by the dense index)."""
    index = _dense(ctx)
    if index is None:
        return _unit_rows(_fallback_model(ctx).encode([phrase]))[0]
    return index.encode([phrase])[0]


def _unit_rows(vectors: Any) -> np.ndarray:
    rows = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.maximum(norms, 1e-12)


def build_meaning_index(
    ctx: ToolContext, genres: Collection[str], counts: dict[str, int], term_names: dict[str, str]
) -> MeaningIndex:
    entries, texts = meaning_entries(genres, counts, term_names)
    flat = [t for anchors in texts for t in anchors]
    return MeaningIndex(entries, texts, encode_many(ctx, flat))
