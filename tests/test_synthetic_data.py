"""Checks that tests/synthetic_data.py writes a source folder shaped like shared/data.

The generated folder must load with pandas exactly as shared/data/README.md ("Quick
loading") shows, be accepted by convrec.catalog.sources.locate_files, mirror the real files'
headers and line endings, and carry derived link files identical to what the shared/data
tools compute. The expectations object is checked against the files themselves.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import runpy
import shutil
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from convrec.catalog.normalize import norm_title, split_year
from convrec.catalog.sources import DATASET_FILES, REDIAL_TRAIN_FILES, locate_files
from tests.synthetic_data import (
    ALL_FILES,
    CREDITS_COLUMNS,
    DERIVED_FILES,
    ML_LINKS,
    ML_MOVIES,
    ML_RATINGS,
    ML_TAGS,
    REDIAL_KEPLER,
    REDIAL_KGSF,
    REDIAL_LINKS,
    REDIAL_MORE_FULL,
    REDIAL_MORE_PARTIAL,
    REDIAL_MOVIES,
    REDIAL_TEST,
    RT_INFO_GZ,
    RT_LINKS,
    RT_REVIEWS_GZ,
    TMDB_COLUMNS,
    TMDB_CREDITS_GZ,
    TMDB_MOVIES_MEMBER,
    TMDB_MOVIES_ZIP,
    SyntheticExpectations,
    write_synthetic_dataset,
)

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DIALOGUE_KEYS = [
    "movieMentions",
    "respondentQuestions",
    "messages",
    "conversationId",
    "respondentWorkerId",
    "initiatorWorkerId",
    "initiatorQuestions",
]
MESSAGE_KEYS = ["timeOffset", "text", "senderWorkerId", "messageId"]


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> SyntheticExpectations:
    return write_synthetic_dataset(tmp_path_factory.mktemp("synthetic"))


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> SyntheticExpectations:
    return write_synthetic_dataset(
        tmp_path_factory.mktemp("synthetic_bare"), include_derived_links=False
    )


def raw_bytes(path: Path) -> bytes:
    """The uncompressed bytes of a data file, whatever its compression."""
    if path.suffix == ".gz":
        return gzip.decompress(path.read_bytes())
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            (member,) = zf.namelist()
            return zf.read(member)
    return path.read_bytes()


def first_line(path: Path) -> bytes:
    """The first line of a (possibly compressed) real file, without reading all of it."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            assert zf.namelist() == [TMDB_MOVIES_MEMBER]
            with zf.open(TMDB_MOVIES_MEMBER) as member:
                return member.readline()
    if path.suffix == ".gz":
        with gzip.open(path, "rb") as f:
            return f.readline()
    with open(path, "rb") as f:
        return f.readline()


def opt_int(value: Any) -> int | None:
    """A cell of an integer column that has empty cells (pandas reads it as float, NaN)."""
    return None if pd.isna(value) else int(value)


def jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def jsonl_gz(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


# ----------------------------------------------------------------------------- layout


def test_writes_every_file_in_the_shared_data_layout(full: SyntheticExpectations) -> None:
    assert files_under(full.root) == set(ALL_FILES) == set(full.files)
    for rel, _ in DATASET_FILES.values():
        assert any((full.root / (rel + s)).is_file() for s in ("", ".gz", ".zip")), rel
    for rel in REDIAL_TRAIN_FILES:
        if "train_partial" in rel:
            assert (full.root / rel).is_file()
        if "train_more" in rel:
            assert (full.root / (rel + ".gz")).is_file()  # gzipped, as in shared/data
    assert not (full.root / "redial/train_data.jsonl").exists()


def test_without_derived_links_leaves_out_both_link_files(bare: SyntheticExpectations) -> None:
    assert files_under(bare.root) == set(ALL_FILES) - set(DERIVED_FILES) == set(bare.files)


@pytest.mark.parametrize("variant", ["full", "bare"])
def test_locate_files_accepts_the_folder(variant: str, request: pytest.FixtureRequest) -> None:
    exp: SyntheticExpectations = request.getfixturevalue(variant)
    found = locate_files(exp.root)
    expected_names = {
        name
        for name, (_, required) in DATASET_FILES.items()
        if required or exp.include_derived_links
    }
    assert set(found.paths) == expected_names
    assert found.require("tmdb_movies").name == "tmdb_5000_movies.csv.zip"
    assert found.require("tmdb_credits").name == "tmdb_5000_credits.csv.gz"
    assert found.require("rt_reviews").name == "rt.reviews.tsv.gz"
    assert found.require("rt_movie_info").name == "rt.movie_info.tsv.gz"
    assert sorted(p.relative_to(exp.root).as_posix() for p in found.redial_train) == sorted(
        [REDIAL_KEPLER, REDIAL_KGSF, REDIAL_MORE_FULL, REDIAL_MORE_PARTIAL]
    )
    assert set(found.redial_train.values()) == {"train"}


def test_generation_is_deterministic(tmp_path: Path, full: SyntheticExpectations) -> None:
    again = write_synthetic_dataset(tmp_path)
    for rel in ALL_FILES:
        a = hashlib.sha256((full.root / rel).read_bytes()).hexdigest()
        b = hashlib.sha256((tmp_path / rel).read_bytes()).hexdigest()
        assert a == b, rel
    assert again.item_members == full.item_members


# ----------------------------------------------------------------------------- README loading


def test_quick_loading_from_the_readme(
    full: SyntheticExpectations, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(full.root)
    with open("redial/test_data.jsonl") as f:
        test = [json.loads(line) for line in f]
    ratings = pd.read_csv("movielens/ml-latest-small/ratings.csv")
    tmdb = pd.read_csv("tmdb/tmdb_5000_movies.csv.zip")
    credits = pd.read_csv("tmdb/tmdb_5000_credits.csv.gz")
    reviews = pd.read_csv(
        "reviews/rotten_tomatoes_flatiron/rt.reviews.tsv.gz", sep="\t", encoding="cp1252"
    )

    assert len(test) == full.n_redial_test_dialogues
    assert len(ratings) == full.n_ratings
    assert list(ratings.columns) == ["userId", "movieId", "rating", "timestamp"]
    assert ratings["userId"].nunique() == full.n_rating_users
    assert len(tmdb) == full.n_tmdb_movies
    assert list(tmdb.columns) == list(TMDB_COLUMNS)
    assert len(credits) == full.n_tmdb_credits
    assert list(credits.columns) == list(CREDITS_COLUMNS)
    assert len(reviews) == full.n_reviews_rows
    assert int(reviews["review"].notna().sum()) == full.n_reviews_with_text


def test_movielens_files(full: SyntheticExpectations) -> None:
    movies = pd.read_csv(full.root / ML_MOVIES)
    links_str = pd.read_csv(full.root / ML_LINKS, dtype=str)
    links = pd.read_csv(full.root / ML_LINKS)
    tags = pd.read_csv(full.root / ML_TAGS)
    ratings = pd.read_csv(full.root / ML_RATINGS)

    assert len(movies) == len(links) == full.n_ml_movies == full.n_ml_links
    titles = dict(zip(movies["movieId"], movies["title"], strict=True))
    assert titles[full.article_moved_ml_id] == "Matrix, The (1999)"
    assert titles[full.alt_title_ml_id] == (
        "City of Lost Children, The (Cité des enfants perdus, La) (1995)"
    )
    assert titles[full.no_year_ml_id] == "Babylon 5"
    assert split_year(titles[full.no_year_ml_id])[1] is None
    a, b = full.dup_ml_ids
    assert titles[a] == titles[b]
    h1, h2 = full.same_title_diff_year_ml_ids
    assert split_year(titles[h1])[0] == split_year(titles[h2])[0] == "Hamlet"
    assert split_year(titles[h1])[1] != split_year(titles[h2])[1]
    assert norm_title(split_year(titles[full.article_moved_ml_id])[0]) == "thematrix"

    # imdbId keeps its zeros only as str; tmdbId is float because some cells are empty
    imdb = dict(zip(links_str["movieId"].astype(int), links_str["imdbId"], strict=True))
    ml_id, imdb_id = full.leading_zero_imdb
    assert imdb[ml_id] == imdb_id and imdb_id.startswith("0")
    assert links["tmdbId"].dtype == "float64"
    empty = set(links.loc[links["tmdbId"].isna(), "movieId"])
    assert empty == set(full.empty_tmdb_link_ml_ids)
    dup_tmdb = links.loc[links["movieId"].isin(full.dup_ml_ids), "tmdbId"]
    assert set(dup_tmdb) == {float(full.dup_tmdb_id)}

    assert len(tags) == full.n_tags
    assert {'"artsy"', "romance, disaster"} <= set(tags["tag"])
    assert ratings["rating"].between(0.5, 5.0).all()
    assert ((ratings["rating"] * 2) % 1 == 0).all()
    assert not ratings.duplicated(["userId", "movieId"]).any()
    assert set(ratings["movieId"]) <= set(movies["movieId"])
    assert set(tags["movieId"]) <= set(movies["movieId"])


def test_tmdb_files(full: SyntheticExpectations) -> None:
    with zipfile.ZipFile(full.root / TMDB_MOVIES_ZIP) as zf:
        assert zf.namelist() == [TMDB_MOVIES_MEMBER]
    movies = pd.read_csv(full.root / TMDB_MOVIES_ZIP)
    credits = pd.read_csv(full.root / TMDB_CREDITS_GZ)

    assert set(movies["id"]) == set(credits["movie_id"])
    assert dict(zip(movies["id"], movies["title"], strict=True)) == dict(
        zip(credits["movie_id"], credits["title"], strict=True)
    )
    no_date = movies.loc[movies["release_date"].isna(), "id"].tolist()
    assert no_date == [full.empty_date_tmdb_id]

    def bad(frame: pd.DataFrame, id_col: str, col: str) -> set[int]:
        out = set()
        for ident, cell in zip(frame[id_col], frame[col], strict=True):
            try:
                value = json.loads(cell)
            except json.JSONDecodeError:
                out.add(int(ident))
            else:
                assert isinstance(value, list)
        return out

    assert bad(movies, "id", "genres") == set(full.malformed_genres_tmdb_ids)
    assert bad(movies, "id", "keywords") == set(full.malformed_keywords_tmdb_ids)
    for col in ("production_companies", "production_countries", "spoken_languages"):
        assert bad(movies, "id", col) == set()
    assert bad(credits, "movie_id", "cast") == set(full.malformed_cast_tmdb_ids)
    assert bad(credits, "movie_id", "crew") == set()  # link_rt_flatiron.py parses every crew

    first = json.loads(credits["cast"].iloc[0])[0]
    assert list(first) == ["cast_id", "character", "credit_id", "gender", "id", "name", "order"]
    crew = json.loads(credits["crew"].iloc[0])[0]
    assert list(crew) == ["credit_id", "department", "gender", "id", "job", "name"]
    assert list(json.loads(movies["genres"].iloc[0])[0]) == ["id", "name"]

    runtime = dict(zip(movies["id"], movies["runtime"], strict=True))
    assert all(runtime[i] > 150 for i in full.over_150_min_tmdb_ids)
    lang = dict(zip(movies["id"], movies["original_language"], strict=True))
    assert {i for i, v in lang.items() if v != "en"} == set(full.non_english_tmdb_ids)


def test_redial_files(full: SyntheticExpectations) -> None:
    names = pd.read_csv(full.root / REDIAL_MOVIES)
    assert list(names.columns) == ["movieId", "movieName", "nbMentions"]
    assert len(names) == full.n_redial_movies
    name_of = dict(zip(names["movieId"].astype(str), names["movieName"], strict=True))
    assert name_of["151656"] == "Police Academy  (1984)"  # double space kept
    assert name_of["93521"] == "Harry Potter "  # no year, trailing space kept

    test = jsonl(full.root / REDIAL_TEST)
    train = jsonl(full.root / REDIAL_KGSF) + jsonl(full.root / REDIAL_KEPLER)
    more = jsonl_gz(full.root / REDIAL_MORE_FULL) + jsonl_gz(full.root / REDIAL_MORE_PARTIAL)
    assert len(test) == full.n_redial_test_dialogues
    assert len(train) == 4 and len(train) + len(more) == full.n_redial_train_dialogues
    assert len(jsonl(full.root / REDIAL_KGSF)) == len(jsonl(full.root / REDIAL_KEPLER)) == 2
    assert sum(len(d["messages"]) for d in test) == full.n_redial_test_messages
    assert sum(len(d["messages"]) for d in train + more) == full.n_redial_train_messages
    ids = [d["conversationId"] for d in test + train]
    assert len(set(ids)) == len(ids)

    used: set[str] = set()
    empty_forms = set()
    for d in test + train:
        assert list(d) == DIALOGUE_KEYS
        assert isinstance(d["conversationId"], str)
        assert all(list(m) == MESSAGE_KEYS for m in d["messages"])
        mentioned = {x for m in d["messages"] for x in re.findall(r"@(\d+)", m["text"])}
        assert set(d["movieMentions"]) == mentioned
        assert all(d["movieMentions"][k] == name_of[k] for k in mentioned)
        for field in ("initiatorQuestions", "respondentQuestions"):
            form = d[field]
            if form == []:
                empty_forms.add(d["conversationId"])
                continue
            assert set(form) == mentioned
            for answers in form.values():
                assert list(answers) == ["suggested", "seen", "liked"]
                assert answers["suggested"] in (0, 1)
                assert answers["seen"] in (0, 1, 2) and answers["liked"] in (0, 1, 2)
        used |= mentioned
    assert empty_forms == set(full.empty_questions_conversations)
    assert used == set(name_of)  # every ReDial movie is mentioned somewhere

    # line endings as distributed: the kepler file has no final newline
    assert (full.root / REDIAL_TEST).read_bytes().endswith(b"}\n")
    assert (full.root / REDIAL_KGSF).read_bytes().endswith(b"}\n")
    assert (full.root / REDIAL_KEPLER).read_bytes().endswith(b"}}")


def test_redial_train_more_files(full: SyntheticExpectations) -> None:
    names = pd.read_csv(full.root / REDIAL_MOVIES)
    known = set(names["movieId"].astype(str))
    more_full = jsonl_gz(full.root / REDIAL_MORE_FULL)
    more_partial = jsonl_gz(full.root / REDIAL_MORE_PARTIAL)
    for rel in (REDIAL_MORE_FULL, REDIAL_MORE_PARTIAL):
        raw = raw_bytes(full.root / rel)
        assert raw.endswith(b"}\n") and b"\r" not in raw
    every = more_full + more_partial
    # the cases the builder must handle
    no_id = [d for d in more_full if d["conversationId"] is None]
    assert len(no_id) == len(full.redial_synthetic_conversations) == 2
    assert all(d["_source"] == "uss_redial" for d in no_id)
    role_only = [d for d in every
                 if all(m["role"] and m["senderWorkerId"] is None for m in d["messages"])]
    assert role_only and all("initiatorWorkerId" not in d for d in role_only)
    merged = [d for d in every if len(d["messages"]) == 1 and d["messages"][0]["role"] is None]
    assert any(not d.get("_partial") for d in merged) and any(d.get("_partial") for d in merged)
    assert all(d["_partial"] is True for d in more_partial)
    assert not any("_partial" in d for d in more_full)
    assert {d["conversationId"] for d in more_partial} == set(full.redial_prefix_conversations)
    origins = Counter(d["_source"] for d in every)
    assert {k: v for k, v in full.redial_train_by_origin.items() if k in origins} == origins
    # ids: training range, none repeated across every dialogue file
    old = jsonl(full.root / REDIAL_TEST) + jsonl(full.root / REDIAL_KGSF) + jsonl(
        full.root / REDIAL_KEPLER)
    ids = [d["conversationId"] for d in old + every if d["conversationId"] is not None]
    assert len(set(ids)) == len(ids)
    assert all(int(d["conversationId"]) < 20000 for d in every if d["conversationId"])
    for d in every:
        mentioned = {x for m in d["messages"] for x in re.findall(r"@(\d+)", m["text"])}
        assert set(d["movieMentions"]) == mentioned <= known


def test_redial_links_file(full: SyntheticExpectations) -> None:
    links = pd.read_csv(full.root / REDIAL_LINKS)
    assert list(links.columns) == [
        "redial_movieId",
        "redial_movieName",
        "nbMentions",
        "year",
        "ml_movieId",
        "tmdb_id",
        "tmdb_via_movielens",
        "match_rule",
    ]
    assert len(links) == full.n_redial_movies
    got = {
        int(rid): (opt_int(ml), opt_int(tmdb))
        for rid, ml, tmdb in zip(
            links["redial_movieId"], links["ml_movieId"], links["tmdb_id"], strict=True
        )
    }
    assert got == full.redial_links
    for rid in full.redial_unmatched_ids:
        assert got[rid] == (None, None)
    a, b = full.redial_merged_pair
    assert a in full.redial_unmatched_ids and b in full.redial_unmatched_ids


def test_rotten_tomatoes_files(full: SyntheticExpectations) -> None:
    raw = gzip.decompress((full.root / RT_REVIEWS_GZ).read_bytes())
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # really cp1252, as upstream
    text = raw.decode("cp1252")
    assert all(ch in text for ch in full.non_ascii_review_chars)
    assert set("’“”—é") <= set(full.non_ascii_review_chars)

    reviews = pd.read_csv(full.root / RT_REVIEWS_GZ, sep="\t", encoding="cp1252")
    assert int(reviews["review"].isna().sum()) == full.n_reviews_without_text
    assert int(reviews["critic"].isna().sum()) == full.n_reviews_without_critic
    assert reviews["critic"].nunique() == full.n_review_critics
    assert set(reviews["fresh"]) == {"fresh", "rotten"}
    assert set(reviews["top_critic"]) <= {0, 1}

    info = pd.read_csv(full.root / RT_INFO_GZ, sep="\t", encoding="utf-8")
    assert len(info) == full.n_rt_movies
    assert info["synopsis"].str.contains("Amélie", na=False).any()
    assert set(reviews["id"]) <= set(info["id"])

    links = pd.read_csv(full.root / RT_LINKS)
    assert dict(zip(links["rt_id"], links["tmdb_id"], strict=True)) == full.rt_links
    with_text = reviews[reviews["review"].notna()]
    assert int(with_text["id"].isin(links["rt_id"]).sum()) == full.n_reviews_linked
    assert set(full.rt_unlinked_reviewed_ids) == set(reviews["id"]) - set(links["rt_id"])


# ----------------------------------------------------------------------------- real formats


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="shared/data not present")
@pytest.mark.parametrize("rel", ALL_FILES)
def test_header_and_line_endings_match_the_real_file(rel: str, full: SyntheticExpectations) -> None:
    real_path = SHARED_DATA / rel
    if not real_path.is_file():
        pytest.skip(f"{rel} not in shared/data")
    if "train_more" in rel:
        # several sources in one file, each with its own layout: same keys in the same
        # order as the real file's dialogues of that source, for dialogue and message
        layouts: dict[str, set[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        for real in jsonl_gz(real_path):
            layouts.setdefault(real["_source"], set()).add(
                (tuple(real), tuple(real["messages"][0])))
        for d in jsonl_gz(full.root / rel):
            assert all(list(m) == list(d["messages"][0]) for m in d["messages"])
            assert (tuple(d), tuple(d["messages"][0])) in layouts[d["_source"]], d["_source"]
        return
    real_head = first_line(real_path)
    ours = raw_bytes(full.root / rel)
    our_head = ours[: ours.index(b"\n") + 1]
    if rel.endswith(".jsonl"):
        assert list(json.loads(our_head)) == list(json.loads(real_head))
        assert all(list(json.loads(line)) == DIALOGUE_KEYS for line in ours.splitlines() if line)
    else:
        assert our_head == real_head  # same columns, same order, same line terminator


@pytest.mark.skipif(not (SHARED_DATA / "tools").is_dir(), reason="shared/data/tools not present")
def test_derived_links_equal_what_the_shared_tools_compute(
    tmp_path: Path,
    full: SyntheticExpectations,
    bare: SyntheticExpectations,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    work = tmp_path / "data"
    shutil.copytree(bare.root, work)
    monkeypatch.chdir(work)
    runpy.run_path(str(SHARED_DATA / "tools" / "link_redial_movies.py"), run_name="__main__")
    runpy.run_path(str(SHARED_DATA / "tools" / "link_rt_flatiron.py"), run_name="__main__")
    capsys.readouterr()
    for rel in DERIVED_FILES:
        assert (work / rel).read_bytes() == (full.root / rel).read_bytes(), rel
    assert REDIAL_LINKS in DERIVED_FILES and RT_LINKS in DERIVED_FILES


# ----------------------------------------------------------------------------- expectations


def test_expected_items_partition_every_source_record(full: SyntheticExpectations) -> None:
    keys = [k for group in full.item_members for k in group]
    assert len(keys) == len(set(keys))
    by_source = Counter(k.split(":")[0] for k in keys)
    assert by_source == {
        "ml": full.n_ml_movies,
        "tmdb": full.n_tmdb_movies,
        "redial": full.n_redial_movies,
    }
    assert full.n_items == len(full.item_members)
    n_ml_items = sum(1 for g in full.item_members if any(k.startswith("ml:") for k in g))
    n_tmdb_own = sum(1 for g in full.item_members if g[0].startswith("tmdb:"))
    n_redial_own = sum(1 for g in full.item_members if g[0].startswith("redial:"))
    assert n_ml_items == full.n_ml_movies - 1  # the one duplicate pair
    assert n_tmdb_own == len(full.tmdb_only_ids)
    assert full.n_items == n_ml_items + n_tmdb_own + n_redial_own


def test_expected_items_follow_each_edge_case(full: SyntheticExpectations) -> None:
    group_of = {k: g for g in full.item_members for k in g}

    def same(a: str, b: str) -> bool:
        return group_of[a] == group_of[b]

    a, b = full.dup_ml_ids
    assert same(f"ml:{a}", f"ml:{b}") and same(f"ml:{a}", f"tmdb:{full.dup_tmdb_id}")
    h1, h2 = full.same_title_diff_year_ml_ids
    assert not same(f"ml:{h1}", f"ml:{h2}")
    tmdb_id, ml_id = full.title_year_merge
    assert same(f"tmdb:{tmdb_id}", f"ml:{ml_id}")
    tmdb_id, ml_id = full.original_title_merge
    assert same(f"tmdb:{tmdb_id}", f"ml:{ml_id}")
    for tmdb_id in full.tmdb_only_ids:
        assert not any(k.startswith("ml:") for k in group_of[f"tmdb:{tmdb_id}"])
    assert full.empty_date_tmdb_id in full.tmdb_only_ids
    r1, r2 = full.redial_merged_pair
    assert same(f"redial:{r1}", f"redial:{r2}")
    assert all(k.startswith("redial:") for k in group_of[f"redial:{r1}"])
    for rid in full.redial_unmatched_ids:
        assert all(k.startswith("redial:") for k in group_of[f"redial:{rid}"])
    for rid in full.redial_tmdb_only_linked_ids:
        assert same(f"redial:{rid}", f"tmdb:{full.redial_links[rid][1]}")
    rid, ml_id = full.redial_pm1_link
    assert same(f"redial:{rid}", f"ml:{ml_id}")
    for rid, ml_id in full.redial_title_only_links:
        assert same(f"redial:{rid}", f"ml:{ml_id}")
    for rt_id in full.rt_linked_ids:
        assert f"tmdb:{full.rt_links[rt_id]}" in group_of
    assert full.rt_exact_year_link in full.rt_links.items()


def test_filter_facts(full: SyntheticExpectations) -> None:
    assert full.sandler_90s_comedy_ml_ids
    assert set(full.sandler_90s_comedy_ml_ids) <= set(full.sandler_cast_ml_ids)
    assert set(full.sandler_90s_comedy_ml_ids) <= set(full.comedy_90s_ml_ids)
    assert set(full.comedy_90s_without_sandler_cast_ml_ids).isdisjoint(full.sandler_cast_ml_ids)
    assert len(full.comedy_90s_without_sandler_cast_ml_ids) >= 5
    assert full.sandler_tagged_only_ml_ids and full.sandler_cast_tmdb_only_ids
    assert len(full.scifi_ml_ids) >= 3 and full.horror_ml_ids
    assert len(full.non_english_tmdb_ids) >= 3 and len(full.over_150_min_tmdb_ids) >= 3
