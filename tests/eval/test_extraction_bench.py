"""`convrec bench extract`: the counting and judging rules by hand on tiny inputs, the
loaders on the real files, and the command on --limit 20 of each dataset (real catalog)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from convrec.agent.ledger import Ledger, PersonPref, Stamped, Wish
from convrec.eval.extraction.false_hard import has_negation, judge_inspired, judge_redial
from convrec.eval.extraction.inspired import (
    load_inspired,
    load_inspired_corrected,
    map_genre,
    unmapped_labels,
)
from convrec.eval.extraction.redial_mentions import load_mention_messages, user_text, written_title
from convrec.eval.extraction.slots import Hard, person_matches
from convrec.eval.extraction.stats import SlotCounts, rate, wilson
from convrec.eval.extraction.suite import compare, load_suite

REPO = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "data" / "paraphrase_fixture.jsonl"
JUDGED = REPO / "benchmarks" / "extract" / "redial_judged.jsonl"
NO_SUPPORT = {"genres": [], "not_genres": [], "people": [], "not_people": [], "year_from": None,
              "year_to": None, "runtime_min": None, "runtime_max": None, "languages": [],
              "min_rating": None, "not_keywords": []}


# ----------------------------------------------------------------------------- counting


def test_slot_counts_by_hand():
    counts = SlotCounts()
    counts.add(predicted=3, correct=2, gold=4, found=2)
    counts.add(predicted=1, correct=0, gold=0, found=0)
    assert counts.precision == 0.5 and counts.recall == 0.5 and counts.f1 == 0.5
    assert SlotCounts().precision is None and SlotCounts().f1 is None
    counts = SlotCounts(predicted=2, correct=0, gold=2, found=0)
    assert counts.f1 == 0.0


def test_wilson_interval():
    assert wilson(0, 0) is None
    low, high = wilson(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)
    low, high = wilson(5, 10)
    assert (low, high) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))
    assert rate(3, 12)["rate"] == 0.25 and rate(3, 12)["count"] == 3


# ----------------------------------------------------------------------------- judging


def test_negation_cues():
    assert has_negation("I don't like horror") and has_negation("no zombies please")
    assert has_negation("anything except westerns") and has_negation("I hate musicals")
    assert not has_negation("I love a good comedy")


def test_person_matching():
    assert person_matches("Adam Sandler", "Adam Sandler")
    assert person_matches("Robert Downey Jr.", "robert downey jr")
    assert person_matches("Adam Sandler", "Sandler")  # the annotation is the surname
    assert not person_matches("Adam Sandler", "Adam")
    assert not person_matches("Tom Hanks", "Tom Hardy")


def test_inspired_rules():
    text = "I like comedies with Adam Sandler"
    hard = Hard(genres_include=frozenset({"Comedy"}), people_include=("Adam Sandler",))
    ok = judge_inspired(hard, text, frozenset({"Comedy"}), ["Sandler"])
    assert ok.false == [] and ok.other == []
    wrong = judge_inspired(Hard(genres_include=frozenset({"Comedy", "Drama"}),
                                people_include=("Tom Hanks",)),
                           text, frozenset({"Comedy"}), ["Adam Sandler"])
    assert wrong.false == ["genre Drama", "person Tom Hanks"]
    # an exclusion of a mentioned genre is false without any negation cue ...
    cueless = judge_inspired(Hard(genres_exclude=frozenset({"Horror"})), "I love horror",
                             frozenset({"Horror"}), [])
    assert cueless.false == ["no genre Horror (no negation)"]
    # ... and fine with one; an exclusion of an unmentioned genre never is
    said = judge_inspired(Hard(genres_exclude=frozenset({"Horror", "War"})), "no horror please",
                          frozenset({"Horror"}), [])
    assert said.false == ["no genre War (not mentioned)"]
    # keyword exclusions: judged by the cue only; eras and the rest are 'other'
    other = judge_inspired(Hard(keywords_exclude=frozenset({"zombie"}), year_from=1990,
                                languages=frozenset({"French"})), "from the 90s, in French",
                           frozenset(), [])
    assert other.false == ["no keyword zombie (no negation)"]
    assert other.other == ["year_from 1990", "language French"]


def test_judged_redial_rules():
    supports = {**NO_SUPPORT, "genres": ["Comedy"], "year_from": 2010,
                "not_keywords": ["spider-man"], "not_people": ["Adam Sandler"]}
    ok = judge_redial(Hard(genres_include=frozenset({"Comedy"}), year_from=2009, year_to=2019,
                           keywords_exclude=frozenset({"spider man"}),
                           people_exclude=("Adam Sandler",)), supports)
    assert ok.false == []
    bad = judge_redial(Hard(genres_exclude=frozenset({"Comedy"}), year_from=2005,
                            people_include=("Adam Sandler",), min_rating=7.0,
                            runtime_max=120, languages=frozenset({"French"}),
                            keywords_exclude=frozenset({"batman"}),
                            studios_include=frozenset({"Pixar"})), supports)
    assert bad.false == ["no genre Comedy", "person Adam Sandler",
                         "year_from 2005 (said 2010-None)", "runtime_max 120",
                         "language French", "min_rating 7", "no keyword batman"]
    assert bad.other == ["studio Pixar"]
    # any era bound is false when the message names no era at all
    assert judge_redial(Hard(year_to=1999), NO_SUPPORT).false == ["year_to 1999 (no era said)"]
    # within the slack of two years it is fine
    older = {**NO_SUPPORT, "year_to": 1989}
    assert judge_redial(Hard(year_to=1991), older).false == []
    assert judge_redial(Hard(year_to=1999), older).false == ["year_to 1999 (said None-1989)"]


# ----------------------------------------------------------------------------- suite


def _extraction(act: str = "inform", injection: bool = False, pending=()):
    return SimpleNamespace(user_act=act, injection=injection, pending=list(pending))


def _never(title: str) -> int | None:
    return {"Heat (1995)": 6}.get(title)


def test_suite_compare_hard_slots_and_mode():
    ledger = Ledger(genres_include={"Comedy": 1, "Romance": 1}, genre_mode="all",
                    genres_exclude={"Horror": 1}, year_from=Stamped(value=1990, turn=1),
                    people_include={"tomhanks": PersonPref(name="Tom Hanks", turn=1)},
                    liked={6: 1}, keywords_include={"heist": 1})
    expect = {"genres": ["Comedy", "Romance"], "genre_mode": "any", "people": ["tom hanks"],
              "year_from": 1990, "liked": ["Heat (1995)"], "act": "inform"}
    result = compare(ledger, _extraction(), expect, _never)
    assert ("genre_mode", "any") in result.missed
    assert ("genre_mode", "all") in result.unexpected
    assert ("not_genres", "Horror") in result.unexpected  # absent from expect: must be empty
    assert ("keywords", "heist") in result.unexpected
    assert {("genres", "Comedy"), ("genres", "Romance"), ("people", "tom hanks"),
            ("year_from", "1990"), ("liked", "6"), ("act", "inform")} <= set(result.found)
    assert not result.exact
    fixed = ledger.model_copy(update={"genre_mode": "any", "genres_exclude": {},
                                      "keywords_include": {}})
    assert compare(fixed, _extraction(), expect, _never).exact


def test_suite_compare_soft_themes_and_words():
    from convrec.agent.ledger import SoftPref

    soft = {"genre:Horror": SoftPref(kind="genre", value="Horror", polarity=-1, turn=1),
            "runtime:": SoftPref(kind="runtime", value="short", polarity=1, low=None, high=100,
                                 turn=1)}
    ledger = Ledger(soft=soft, wishes=[Wish(text="a heist with a twist", turn=1)])
    expect = {"soft_dislikes": [{"kind": "genre", "value": "horror"}],
              "soft_likes": [{"kind": "runtime", "low": None, "high": 90}],
              "themes": [["heist", "robbery"], ["space"]], "no_wish_words": ["twist", "please"],
              "injection": False, "confirm": "Horror"}
    pending = [SoftPref(kind="genre", value="Horror", polarity=-1, turn=1)]
    result = compare(ledger, _extraction(pending=pending), expect, _never)
    assert ("soft_dislikes", "genre:horror") in result.found
    assert ("soft_likes", "runtime:-90") in result.missed
    assert ("soft_likes", "runtime:-100") in result.unexpected
    assert ("themes", "heist|robbery") in result.found and ("themes", "space") in result.missed
    assert ("no_wish_words", "twist") in result.unexpected
    assert ("no_wish_words", "please") not in result.unexpected
    assert ("injection", "False") in result.found and ("confirm", "Horror") in result.found
    # without soft keys in expect, soft items are not checked at all
    assert compare(ledger, _extraction(), {}, _never).exact


def test_suite_loader_reads_the_fixture():
    cases = load_suite(FIXTURE)
    assert [c.split for c in cases] == ["dev", "dev", "test", "test"]
    assert cases[3].turns == ("a film from the 90s", "actually make it a thriller")


# ----------------------------------------------------------------------------- writing titles


def test_user_text_writes_titles_like_a_user():
    names = {"1": 'The "Great" Escape  (1963)', "2": "Heat (1995)"}
    assert written_title(names["1"], keep_year=True) == "The Great Escape (1963)"
    assert written_title(names["1"], keep_year=False) == "The Great Escape"
    text = user_text("i loved @1 and @2 !", names, random.Random("0:c:m"))
    assert text == user_text("i loved @1 and @2 !", names, random.Random("0:c:m"))
    assert text.startswith("i loved the great escape") and "heat" in text
    assert "@" not in text and "  " not in text
    assert "Heat" in user_text("I loved @2", names, random.Random(1))


def test_genre_mapping():
    assert map_genre("sci-fi").genres == frozenset({"Science Fiction"})
    romcom = map_genre("Romantic Comedy")
    assert romcom.genres == frozenset({"Comedy", "Romance"}) and not romcom.any_of
    assert map_genre("superhero").any_of and map_genre("news") is None


# ----------------------------------------------------------------------------- real files

TEST_MESSAGES_WITH_MENTIONS = 2902  # seeker messages of test_data.jsonl with a named @id


@pytest.mark.integration
def test_inspired_loader_counts(real_data_dir, monkeypatch):
    monkeypatch.setenv("CONVREC_DATA_DIR", str(real_data_dir))
    dev, test = load_inspired("dev"), load_inspired("test")
    assert (len(dev), len(test)) == (1678, 1674)
    assert any("Tom Hanks" in u.people for u in dev)
    assert all(u.text for u in dev + test)
    assert "news" in unmapped_labels(dev)


def test_corrected_inspired_labels_cover_every_seeker_utterance(real_data_dir, monkeypatch):
    monkeypatch.setenv("CONVREC_DATA_DIR", str(real_data_dir))
    path = REPO / "benchmarks" / "extract" / "inspired_corrected.jsonl"
    for split in ("dev", "test"):
        original, fixed = load_inspired(split), load_inspired_corrected(split, path)
        assert [(u.dialog_id, u.utt_id, u.text) for u in fixed] == [
            (u.dialog_id, u.utt_id, u.text) for u in original]
    rom_coms = next(u for u in load_inspired_corrected("dev", path)
                    if u.text.startswith("I like comedies, rom-coms"))
    assert {"Comedy", "Romance"} <= rom_coms.genre_union  # INSPIRED labels comedy only


@pytest.mark.integration
def test_redial_mention_loader_counts(real_catalog, real_data_dir, monkeypatch):
    monkeypatch.setenv("CONVREC_DATA_DIR", str(real_data_dir))
    test, stats = load_mention_messages(real_catalog, "test")
    assert len(test) == stats.messages_with_mentions == TEST_MESSAGES_WITH_MENTIONS
    assert all(m.items and "@" not in m.text for m in test)
    assert stats.year_kept and stats.year_dropped
    dev, dev_stats = load_mention_messages(real_catalog, "dev", limit=50)
    assert len(dev) == 50 and dev_stats.files[0] != "test_data.jsonl"


@pytest.mark.integration
def test_judged_sample_is_the_drawn_sample(real_data_dir, monkeypatch):
    from convrec.eval.extraction.redial_sample import sample_seeker_messages

    monkeypatch.setenv("CONVREC_DATA_DIR", str(real_data_dir))
    rows = [json.loads(line) for line in JUDGED.read_text().splitlines() if line.strip()]
    drawn = sample_seeker_messages()
    assert [(r["conversation_id"], r["message_id"]) for r in rows] == [
        (m.conversation_id, m.message_id) for m in drawn]


# ----------------------------------------------------------------------------- the command


def _bench(real_resources, real_catalog_path, tmp_path, *args: str) -> dict:
    from convrec.cli import app

    env = {"CONVREC_HOME": str(tmp_path / "home"), "CONVREC_CATALOG_PATH": str(real_catalog_path),
           "CONVREC_INDEX_DIR": str(real_resources.index_dir)}
    result = CliRunner().invoke(app, ["bench", "extract", "--limit", "20", "--json",
                                      "--judged", str(JUDGED), "--suite", str(FIXTURE), *args],
                                env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout[result.stdout.index("{"):result.stdout.rindex("}") + 1])


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_cli_inspired(real_resources, real_catalog_path, tmp_path):
    out = _bench(real_resources, real_catalog_path, tmp_path, "--dataset", "inspired")
    for split in ("dev", "test"):
        one = out["datasets"][f"inspired/{split}"]
        assert one["utterances"] == 20 and one["false_hard"]["n"] == 20
        assert set(one["slots"]) == {"genres", "people", "films"}
        assert one["timing"]["extractions"] == 20


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_cli_redial_mentions(real_resources, real_catalog_path, tmp_path):
    out = _bench(real_resources, real_catalog_path, tmp_path, "--dataset", "redial-mentions",
                 "--split", "test")
    one = out["datasets"]["redial-mentions/test"]
    assert one["messages"] == 20 and one["films"]["gold"] > 0
    assert 0 < one["films"]["recall"] <= 1


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_cli_redial_judged_writes_the_section(real_resources, real_catalog_path, tmp_path):
    doc = tmp_path / "BENCHMARKS.md"
    out = _bench(real_resources, real_catalog_path, tmp_path, "--dataset", "redial-judged",
                 "--write", "--doc", str(doc))
    one = out["datasets"]["redial-judged/test"]
    assert one["messages"] == 20 and len(one["false_hard"]["examples"]) <= 10
    text = doc.read_text()
    assert "<!-- bench:extract-redial-judged-limit20 -->" in text
    assert "convrec bench extract --dataset redial-judged --limit 20 --write" in text


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_cli_paraphrase_fixture(real_resources, real_catalog_path, tmp_path):
    out = _bench(real_resources, real_catalog_path, tmp_path, "--dataset", "paraphrase")
    for split in ("dev", "test"):
        one = out["datasets"][f"paraphrase/{split}"]
        assert one["cases"] == 2 and one["overall"]["pairs"]["found"] > 0
        assert all(f["missed"] or f["unexpected"] for f in one["failures"])
