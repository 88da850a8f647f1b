"""Grounding words outside the extractor's lists: spelling and meaning, on the real catalog.

The meaning thresholds were chosen on tests/agent/data/grounding_meaning_dev.json; the
meaning cases here are other phrasings, held out from that choice.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from convrec.agent.understanding.grounding import (
    Grounder,
    Grounding,
    get_grounder,
)
from convrec.catalog.normalize import vocab_key
from convrec.tools.context import Resources, ToolContext

pytestmark = pytest.mark.integration

DEV = Path(__file__).parent / "data" / "grounding_meaning_dev.json"
ALL = ("genre", "keyword", "person", "language")

# (written, kinds, expected (kind, value, method) or None)
SPELLING: list[tuple[str, tuple[str, ...], tuple[str, str, str] | None]] = [
    # misspelt genres
    ("horor", ALL, ("genre", "Horror", "spelling")),
    ("hroror", ("genre",), ("genre", "Horror", "spelling")),
    ("thriler", ALL, ("genre", "Thriller", "spelling")),
    ("thirller", ALL, ("genre", "Thriller", "spelling")),
    ("comdy", ALL, ("genre", "Comedy", "spelling")),
    ("documentery", ALL, ("genre", "Documentary", "spelling")),
    ("fantasi", ALL, ("genre", "Fantasy", "spelling")),
    ("animaton", ALL, ("genre", "Animation", "spelling")),
    ("advenure", ALL, ("genre", "Adventure", "spelling")),
    ("mystry", ALL, ("genre", "Mystery", "spelling")),
    ("romanse", ALL, ("genre", "Romance", "spelling")),
    ("science fictoin", ALL, ("genre", "Science Fiction", "spelling")),
    ("actions", ALL, ("genre", "Action", "spelling")),
    # everyday genre words and exact entries
    ("scifi", ALL, ("genre", "Science Fiction", "exact")),
    ("spooky", ALL, ("genre", "Horror", "exact")),
    ("drama", ALL, ("genre", "Drama", "exact")),
    ("comedy", ALL, ("genre", "Comedy", "exact")),
    ("Westerns", ALL, ("genre", "Western", "exact")),
    # people
    ("spielburg", ALL, ("person", "Steven Spielberg", "spelling")),
    ("speilberg", ("person",), ("person", "Steven Spielberg", "spelling")),
    ("tarantino", ALL, ("person", "Quentin Tarantino", "exact")),
    ("scorcese", ALL, ("person", "Martin Scorsese", "spelling")),
    ("martin scorcese", ALL, ("person", "Martin Scorsese", "spelling")),
    ("kubrik", ALL, ("person", "Stanley Kubrick", "spelling")),
    ("hitchcok", ALL, ("person", "Alfred Hitchcock", "spelling")),
    ("steven spielburg", ALL, ("person", "Steven Spielberg", "spelling")),
    ("quinten tarantino", ALL, ("person", "Quentin Tarantino", "spelling")),
    ("scarlet johanson", ALL, ("person", "Scarlett Johansson", "spelling")),
    ("tom hank", ALL, ("person", "Tom Hanks", "spelling")),
    ("meryl strep", ALL, ("person", "Meryl Streep", "spelling")),
    ("Steven Spielberg", ALL, ("person", "Steven Spielberg", "exact")),
    # languages
    ("frensh", ALL, ("language", "French", "spelling")),
    ("japanes", ALL, ("language", "Japanese", "spelling")),
    ("spanih", ALL, ("language", "Spanish", "spelling")),
    ("korian", ALL, ("language", "Korean", "spelling")),
    ("french", ALL, ("language", "French", "exact")),
    # keyword / tag terms
    ("superhro", ALL, ("keyword", "superhero", "spelling")),
    ("dystopa", ALL, ("keyword", "dystopia", "spelling")),
    ("heist", ALL, ("keyword", "heist", "exact")),
    ("revenge", ALL, ("keyword", "revenge", "exact")),
    ("love", ALL, ("keyword", "love", "exact")),  # a common term before a surname (Love)
    # real words and near misses are never corrected
    ("horse", ("genre", "person", "language"), None),  # a real word, not Horror
    ("heist", ("genre", "person", "language"), None),  # an entry: never another entry
    ("drama", ("keyword", "person"), None),
    ("misery", ALL, None),
    ("tonight", ALL, None),
    ("popcorn", ALL, None),
    ("musicl", ALL, ("genre", "Musical", "ambiguous")),  # Music is about as close: ask
    ("romcom", ALL, None),  # two genres: the extractor's word, not a spelling target
    ("tom", ALL, None),
    ("hank", ALL, None),  # a real word; a surname needs its first name when this short
    ("stoned", ALL, None),  # an inflection of a real word, not Oliver Stone
    ("margin", ALL, None),  # not Cheech Marin
    ("sigh", ALL, None),
    ("lair", ALL, None),  # not Selma Blair: the first letter differs
    ("gost", ALL, None),  # under 5 letters for a keyword
    ("xyzzy", ALL, None),
    ("", ALL, None),
    ("horor", ("person", "keyword"), None),  # only the kinds asked for
]

# (phrase, acceptable "kind:key" values for the best grounding; empty: nothing grounds)
MEANING: list[Any] = [
    ("terrifying monsters", {"genre:horror", "keyword:monster"}),
    pytest.param(
        "hilarious and silly",
        {"genre:comedy", "keyword:funny", "keyword:spoof", "keyword:slapstick"},
        marks=pytest.mark.xfail(strict=True, reason="held-out miss: Comedy 0.58 < 0.625"),
    ),
    ("wild west gunfights", {"genre:western"}),
    (
        "spaceships and aliens",
        {
            "genre:science fiction",
            "keyword:spaceship",
            "keyword:alien",
            "keyword:space",
            "keyword:space travel",
            "keyword:alien invasion",
        },
    ),
    ("mafia bosses", {"genre:crime", "keyword:mafia", "keyword:gangster"}),
    (
        "an animated film for children",
        {"genre:animation", "genre:family", "keyword:children", "keyword:animation"},
    ),
    ("ballet and dance", {"keyword:dance", "keyword:dancing", "genre:musical"}),
    (
        "solving a murder mystery",
        {"genre:mystery", "keyword:murder", "keyword:investigation", "keyword:detective"},
    ),
    ("magic and sorcery", {"genre:fantasy", "keyword:magic", "keyword:witch"}),
    ("world war two soldiers", {"genre:war", "keyword:world war ii", "keyword:soldier"}),
    ("falling in love", {"genre:romance", "keyword:falling in love", "keyword:love"}),
    ("nail-biting suspense", {"genre:thriller", "keyword:suspense", "keyword:tense"}),
    ("car chases", {"keyword:car chase", "keyword:chase", "genre:action"}),
    (
        "artificial intelligence",
        {"keyword:artificial intelligence", "keyword:robot", "keyword:android"},
    ),
    ("a twist ending", {"keyword:twist ending", "keyword:mindfuck", "keyword:surreal"}),
    ("makes you cry", {"keyword:emotional", "keyword:sad", "keyword:bittersweet"}),
    (
        "uplifting and heartwarming",
        {"keyword:heartwarming", "keyword:feel good", "keyword:inspirational"},
    ),
    (
        "rock bands and musicians",
        {
            "genre:music",
            "keyword:music",
            "keyword:musician",
            "keyword:rock and roll",
            "keyword:singer",
        },
    ),
    ("undead zombies", {"keyword:zombie", "genre:horror"}),
    ("werewolves", {"keyword:werewolf"}),
    ("a psycho killer", {"keyword:serial killer", "keyword:psychopath", "keyword:killer"}),
    ("kung fu fighting", {"keyword:martial arts", "keyword:fight", "genre:action"}),
    ("a bank robbery", {"keyword:robbery", "keyword:heist", "genre:crime"}),
    (
        "teenagers in high school",
        {"keyword:high school", "keyword:teenager", "keyword:coming of age", "keyword:youth"},
    ),
    ("jurassic dinosaurs", {"keyword:dinosaur"}),
    ("santa claus", {"keyword:christmas", "keyword:holiday"}),
    (
        "comic book heroes",
        {
            "keyword:superhero",
            "keyword:based on comic book",
            "keyword:marvel comic",
            "keyword:dc comics",
        },
    ),
    ("the apocalypse", {"keyword:post apocalyptic", "keyword:dystopia"}),
    ("secret agents", {"keyword:spy", "keyword:secret agent", "keyword:cia"}),
    ("a ghost story", {"keyword:ghost", "genre:horror", "keyword:supernatural"}),
    ("baseball", {"keyword:baseball", "keyword:sport"}),
    ("for my birthday", set()),
    pytest.param(
        "my parents",
        set(),
        marks=pytest.mark.xfail(
            strict=True, reason="held-out false positive: the keyword 'family' at 0.66"
        ),
    ),
    ("right now", set()),
    ("a good one", set()),
    ("what's popular", set()),
    ("hi!", set()),
    ("cool thanks", set()),
    ("in the evening", set()),
]


@pytest.fixture(scope="module")
def grounder(real_resources) -> Grounder:
    return get_grounder(ToolContext(real_resources))


def _key(g: Grounding) -> str:
    return f"{g.kind}:{vocab_key(g.value)}"


# ---------------------------------------------------------------------- describe


def test_describe_shows_value_words_method_and_score():
    g = Grounding("genre", "Horror", 0.909, "spelling", "horor")
    assert g.describe() == "Horror (from 'horor', spelling 0.91)"
    m = Grounding("keyword", "twist ending", 0.71234, "meaning", "mind-bending")
    assert m.describe() == "twist ending (from 'mind-bending', meaning 0.71)"
    e = Grounding("person", "Quentin Tarantino", 1.0, "exact", "tarantino")
    assert e.describe() == "Quentin Tarantino (from 'tarantino', exact 1.00)"


# ---------------------------------------------------------------------- spelling


@pytest.mark.parametrize(("written", "kinds", "expected"), SPELLING)
def test_spelling(grounder, written, kinds, expected):
    found = grounder.spell(written, kinds)
    if expected is None:
        assert found is None, found
        return
    assert found is not None
    assert (found.kind, found.value, found.method) == expected
    assert found.written == written
    assert 0.8 <= found.score <= 1.0
    assert (found.score == 1.0) == (found.method == "exact")


def test_spelling_table_is_large_enough():
    assert len(SPELLING) >= 40
    assert sum(e is None for _, _, e in SPELLING) >= 15


def test_spell_is_fast(grounder):
    words = [w for w, _, _ in SPELLING] * 3
    grounder._cache.clear()
    started = time.perf_counter()
    for w in words[: len(SPELLING)]:  # uncached
        grounder.spell(w, ALL)
    uncached = (time.perf_counter() - started) / len(SPELLING)
    assert uncached < 0.002, f"{uncached * 1000:.2f} ms a word"


# ---------------------------------------------------------------------- meaning


@pytest.mark.parametrize(("phrase", "acceptable"), MEANING)
def test_meaning(grounder, phrase, acceptable):
    found = grounder.meaning(phrase)
    if not acceptable:
        assert found == [], [g.describe() for g in found]
        return
    assert found, f"nothing grounded for {phrase!r}"
    assert _key(found[0]) in acceptable, [g.describe() for g in found]
    assert all(g.method == "meaning" and g.written == phrase for g in found)
    assert [g.score for g in found] == sorted((g.score for g in found), reverse=True)


def test_meaning_cases_are_enough():
    assert len(MEANING) >= 30


def test_brief_examples(grounder):
    assert _key(grounder.meaning("spooky")[0]) == "genre:horror"
    music = {_key(g) for g in grounder.meaning("about music")}
    assert "keyword:music" in music
    bending = {_key(g) for g in grounder.meaning("mind-bending")}
    assert "keyword:twist ending" in bending


def test_meaning_respects_kinds_and_k(grounder):
    genres = grounder.meaning("spooky ghosts and monsters", kinds=("genre",), k=1)
    assert [g.kind for g in genres] == ["genre"]
    keywords = grounder.meaning("about music", kinds=("keyword",), k=2)
    assert len(keywords) == 2 and {g.kind for g in keywords} == {"keyword"}
    assert grounder.meaning("about music", kinds=("person",)) == []
    assert grounder.meaning("   ") == []


def test_dev_precision_at_chosen_thresholds(grounder):
    """The thresholds keep precision >= 0.9 on the dev list they were chosen on."""
    dev = json.loads(DEV.read_text())["phrases"]
    correct = shown = hit = positives = 0
    for phrase, means in dev.items():
        keys = [_key(g) for g in grounder.meaning(phrase)]
        correct += sum(k in means for k in keys)
        shown += len(keys)
        positives += bool(means)
        hit += bool(means) and any(k in means for k in keys)
    assert correct / shown >= 0.9
    assert hit / positives >= 0.8


# ---------------------------------------------------------------------- caching


def test_grounder_is_cached_per_resources(real_resources, grounder):
    ctx = ToolContext(real_resources, user_id="ml:1")
    assert get_grounder(ctx) is grounder
    other = Resources(real_resources.catalog, real_resources.index_dir)
    fresh = get_grounder(ToolContext(other))
    assert fresh is not grounder
    assert get_grounder(ToolContext(other)) is fresh


def test_meaning_vectors_are_built_once(grounder):
    grounder.meaning("spooky")
    index = grounder.meaning_index
    grounder.meaning("a heist")
    assert grounder.meaning_index is index
    assert index.vectors.shape[0] >= len(index.entries) > 250
