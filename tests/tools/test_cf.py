"""The CF scorers (EASE, ALS, ItemKNN, popularity), their training and the rank_cf tool."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from convrec.cf.data import Interactions
from convrec.cf.models import (
    MODEL_NAMES,
    Als,
    Ease,
    ItemKnn,
    Popularity,
    load_model,
    make_model,
)
from convrec.errors import ConvrecError
from convrec.tools import indexes
from convrec.tools.base import ToolArgumentError
from convrec.tools.cf import CfArgs, rank_cf
from convrec.tools.cf_index import MODEL_FILE, CfRanker, save_cf, train_cf
from convrec.tools.context import Resources, ToolContext

# ------------------------------------------------------------------ hand-made data

A, B, C, D, E, F, POP, DISLIKED = 1, 2, 3, 4, 5, 6, 7, 8


def co_liked() -> Interactions:
    """Ten users love A, B and C; ten others love D, E and F; POP is liked by 12 of the 20
    (more than any other film) and DISLIKED is rated 2.0 by everyone."""
    triples = []
    for u in range(20):
        triples += [(u, i, 5.0) for i in ((A, B, C) if u < 10 else (D, E, F))]
        if u % 10 < 6:
            triples.append((u, POP, 4.5))
        triples.append((u, DISLIKED, 2.0))
    return Interactions.from_triples(triples)


def small_models() -> list:
    return [Ease(lam=1.0), Als(factors=4, regularization=0.1, alpha=4.0, iterations=30),
            ItemKnn(k=3), Popularity()]


def random_interactions(seed: int = 0, users: int = 40, items: int = 30) -> Interactions:
    rng = np.random.default_rng(seed)
    triples = [(u, 100 + i, float(rng.choice([1.0, 3.0, 4.0, 5.0])))
               for u in range(users) for i in range(items) if rng.random() < 0.3]
    return Interactions.from_triples(triples)


def test_interactions_keep_the_max_rating_per_user_and_item():
    data = Interactions.from_triples([(7, 10, 3.0), (7, 10, 4.5), (7, 11, 2.0), (9, 11, 4.0)])
    assert data.user_ids.tolist() == [7, 9]
    assert data.item_ids.tolist() == [10, 11]
    assert data.ratings.toarray().tolist() == [[4.5, 2.0], [0.0, 4.0]]
    assert data.positives().toarray().tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_interactions_from_catalog_merge_duplicate_movielens_ids(synthetic_catalog,
                                                                 synthetic_source):
    _, expected = synthetic_source
    data = Interactions.from_catalog(synthetic_catalog)
    rows = synthetic_catalog.query(
        "SELECT COUNT(*) FROM (SELECT 1 FROM ratings GROUP BY user_id, item_id)")
    assert data.ratings.nnz == rows[0][0] < expected.n_ratings
    item = synthetic_catalog.query("SELECT item_id FROM ratings WHERE ml_movie_id = ?",
                                   [expected.dup_ml_ids[1]])[0][0]
    by_user = synthetic_catalog.query(
        "SELECT user_id, MAX(rating) FROM ratings WHERE item_id = ? GROUP BY user_id", [item])
    col = int(np.searchsorted(data.item_ids, item))
    for user_id, best in by_user:
        row = int(np.searchsorted(data.user_ids, user_id))
        assert data.ratings[row, col] == best


def test_ease_closed_form_matches_numpy():
    x = np.array([[1, 0, 1, 1], [0, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 1], [0, 1, 1, 1]],
                 dtype=np.float64)
    data = Interactions.from_triples(
        [(u, i, 5.0) for u in range(5) for i in range(4) if x[u, i]])
    lam = 0.5
    p = np.linalg.inv(x.T @ x + lam * np.eye(4))
    expected = np.eye(4) - p / np.diag(p)[None, :]
    model = Ease(lam=lam).fit(data)
    assert model.weights.dtype == np.float32
    np.testing.assert_allclose(model.weights, expected, atol=1e-5)
    np.testing.assert_allclose(np.diag(model.weights), 0.0)
    scores = model.score(sp.csr_matrix(x))
    np.testing.assert_allclose(scores, x @ expected, atol=1e-5)
    # a user's scores on some columns only are the same numbers
    np.testing.assert_allclose(model.score({0: 1.0, 2: 1.0}, [3, 1]),
                               (np.array([1, 0, 1, 0]) @ expected)[[3, 1]], atol=1e-5)


@pytest.mark.parametrize("model", small_models(), ids=lambda m: m.name)
def test_co_liked_film_ranks_first(model):
    model.fit(co_liked())
    assert DISLIKED not in model.item_ids.tolist()  # no positive: nothing to learn
    candidates = [C, D, E, F, POP]
    ranked = [candidates[i] for i in np.argsort(-model.score([A, B], candidates),
                                                kind="stable")]
    if model.name == "popularity":
        assert ranked[0] == POP
    else:
        assert ranked[0] == C
        assert ranked.index(POP) < ranked.index(D)


@pytest.mark.parametrize("model", small_models(), ids=lambda m: m.name)
def test_unknown_items_score_minus_infinity(model):
    model.fit(co_liked())
    scores = model.score([A], [C, DISLIKED, 999_999])
    assert np.isfinite(scores[0])
    assert np.isneginf(scores[1:]).all()


@pytest.mark.parametrize("name", ["ease", "als", "itemknn"])
def test_contributions_add_up_to_the_score(name):
    data = random_interactions()
    model = make_model(name, **({"factors": 8, "regularization": 1.0} if name == "als" else {}))
    model.fit(data)
    h = model.history({int(i): 1.0 for i in model.item_ids[[0, 3, 5, 8]]})
    cols = np.arange(len(model.item_ids))
    terms = model.contributions(h, cols)
    assert terms.shape == (h.nnz, len(cols))
    np.testing.assert_allclose(terms.sum(axis=0), model.score_rows(h, cols)[0],
                               rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_save_load_round_trip_gives_identical_scores(name, tmp_path):
    data = random_interactions(seed=3)
    model = make_model(name).fit(data)
    model.save(tmp_path / "m.npz")
    loaded = load_model(tmp_path / "m.npz")
    assert type(loaded) is type(model)
    assert loaded.params == model.params
    np.testing.assert_array_equal(loaded.item_ids, model.item_ids)
    history = sp.csr_matrix(data.positives()[:, np.searchsorted(data.item_ids, model.item_ids)])
    np.testing.assert_array_equal(loaded.score(history), model.score(history))
    some = [int(i) for i in model.item_ids[:7]] + [12345]
    np.testing.assert_array_equal(loaded.score([101, 104], some), model.score([101, 104], some))


def test_scoring_only_candidate_columns_matches_full_scoring():
    data = random_interactions(seed=5)
    for name in ("ease", "als", "itemknn", "popularity"):
        model = make_model(name).fit(data)
        liked = [int(i) for i in model.item_ids[:4]]
        full = model.score(liked)
        pick = [int(i) for i in model.item_ids[[9, 2, 17]]]
        np.testing.assert_allclose(model.score(liked, pick), full[[9, 2, 17]], rtol=1e-5,
                                   atol=1e-6)


# ------------------------------------------------------------------ training and the tool


@pytest.fixture(scope="module")
def trained(synthetic_catalog, tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("cf-index")
    summary = train_cf(synthetic_catalog, index_dir, model="ease")
    return index_dir, summary


@pytest.fixture
def ctx_for(synthetic_catalog, trained):
    index_dir, _ = trained
    resources = Resources(synthetic_catalog, index_dir)

    def make(user_id: str | None = None) -> ToolContext:
        return ToolContext(resources, user_id=user_id)

    return make


def ml_item(catalog, ml_movie_id: int) -> int:
    return catalog.query("SELECT item_id FROM items WHERE ml_movie_id = ?", [ml_movie_id])[0][0]


def rated_by(catalog, user: int, positive: bool | None = None) -> set[int]:
    rows = catalog.query(
        "SELECT item_id, MAX(rating) FROM ratings WHERE user_id = ? GROUP BY item_id", [user])
    return {r[0] for r in rows if positive is None or (r[1] >= 4.0) == positive}


def test_train_writes_model_and_manifest_and_is_idempotent(synthetic_catalog, trained):
    index_dir, summary = trained
    folder = index_dir / "cf"
    assert summary["built"] is True
    assert summary["model"] == "ease"
    manifest = indexes.read_manifest(folder)
    assert manifest is not None and manifest["requested"] == "ease"
    assert manifest["params"] == {"lam": manifest["benchmark"]["params"]["ease"]["lam"]}
    assert set(manifest["benchmark"]["metrics"]) == {"ease"}
    assert indexes.is_current(folder, synthetic_catalog, 1)
    stamp = (folder / MODEL_FILE).stat().st_mtime_ns

    again = train_cf(synthetic_catalog, index_dir, model="ease")
    assert again["built"] is False and again["model"] == "ease"
    assert (folder / MODEL_FILE).stat().st_mtime_ns == stamp


def test_train_auto_ships_the_best_measured_model(synthetic_catalog, tmp_path):
    summary = train_cf(synthetic_catalog, tmp_path, model="auto")
    manifest = indexes.read_manifest(tmp_path / "cf")
    assert manifest is not None
    figures = manifest["benchmark"]["metrics"]
    assert set(figures) == set(MODEL_NAMES)
    validation = manifest["benchmark"]["validation"]
    best = max(validation, key=lambda n: validation[n])  # chosen on validation, never test
    assert summary["model"] == manifest["model"] == best
    assert manifest["ndcg@10"] == figures[best]["ndcg@10"]
    # another model asked for: retrained; the same again: skipped
    assert train_cf(synthetic_catalog, tmp_path, model="popularity")["built"] is True
    assert train_cf(synthetic_catalog, tmp_path, model="popularity")["built"] is False
    assert train_cf(synthetic_catalog, tmp_path, model="popularity", force=True)["built"]


def test_train_refuses_an_unknown_model(synthetic_catalog, tmp_path):
    with pytest.raises(ConvrecError, match="unknown cf model"):
        train_cf(synthetic_catalog, tmp_path, model="svd")
    assert not (tmp_path / "cf").exists()


def test_missing_model_is_a_clear_error(synthetic_catalog, tmp_path):
    ctx = ToolContext(Resources(synthetic_catalog, tmp_path))
    with pytest.raises(ConvrecError, match="convrec cf train"):
        rank_cf(CfArgs(liked_ids=[ml_item(synthetic_catalog, 2571)]), ctx)


def test_loaded_ranker_scores_like_a_fresh_fit(synthetic_catalog, trained):
    index_dir, _ = trained
    ranker = CfRanker.load(index_dir / "cf")
    fresh = Ease(**ranker.model.params).fit(Interactions.from_catalog(synthetic_catalog))
    liked = [int(i) for i in fresh.item_ids[:3]]
    np.testing.assert_array_equal(ranker.model.score(liked), fresh.score(liked))


def test_liked_films_rank_co_liked_films_with_evidence(synthetic_catalog, ctx_for):
    matrix, blade_runner = ml_item(synthetic_catalog, 2571), ml_item(synthetic_catalog, 541)
    out = rank_cf(CfArgs(liked_ids=[matrix, blade_runner], k=5), ctx_for())
    assert out.tool == "rank_cf"
    assert out.trace.startswith("cf (ease): ") and out.trace.endswith(" scored")
    assert len(out.items) == 5
    assert matrix not in out.ids() and blade_runner not in out.ids()
    scores = [s.score for s in out.items]
    assert scores == sorted(scores, reverse=True)
    labels = {"The Matrix (1999)", "Blade Runner (1982)"}
    top = out.items[0]
    assert top.evidence and top.evidence[0].startswith("liked by people who liked ")
    assert any(label in top.evidence[0] for label in labels)


def test_candidates_restriction_is_exact(synthetic_catalog, ctx_for):
    ids = [r[0] for r in synthetic_catalog.query(
        "SELECT item_id FROM items WHERE rating_count > 0 ORDER BY item_id")]
    liked = [ids[0]]
    candidates = [*ids[5:17], ids[0]]
    out = rank_cf(CfArgs(liked_ids=liked, k=100), ctx_for(), candidates=candidates)
    assert set(out.ids()) == set(candidates) - set(liked)
    assert out.trace.startswith("cf (ease): ")
    few = rank_cf(CfArgs(liked_ids=liked, k=3), ctx_for(), candidates=candidates)
    assert few.ids() == out.ids()[:3]
    assert rank_cf(CfArgs(liked_ids=liked), ctx_for(), candidates=[]).items == []


def test_known_user_is_scored_from_their_ratings_without_seen_films(synthetic_catalog,
                                                                    ctx_for):
    seen = rated_by(synthetic_catalog, 1)
    everything = [r[0] for r in synthetic_catalog.query(
        "SELECT item_id FROM items WHERE rating_count > 0")]
    out = rank_cf(CfArgs(k=100), ctx_for("ml:1"), candidates=everything)
    assert out.trace.startswith("cf (ease): ")
    assert out.items and not set(out.ids()) & seen
    assert any(e.startswith("liked by people who liked") for s in out.items for e in s.evidence)
    positives = sorted(rated_by(synthetic_catalog, 1, positive=True))
    liked_by_user = {it.label for it in synthetic_catalog.items(positives)}
    for s in out.items:
        for e in s.evidence:
            if e.startswith("liked by people who liked"):
                assert any(t in e for t in liked_by_user)
    shown = rank_cf(CfArgs(k=100, include_seen=True), ctx_for("ml:1"), candidates=everything)
    assert seen <= set(shown.ids())


def test_popularity_fallback_for_anonymous_and_critic_users(synthetic_catalog, ctx_for):
    critic = synthetic_catalog.query(
        "SELECT critic FROM reviews WHERE critic IS NOT NULL LIMIT 1")[0][0]
    for user in (None, f"critic:{critic}", "ml:987654"):
        out = rank_cf(CfArgs(k=5), ctx_for(user))
        assert out.trace == "cf: popularity fallback", user
        assert any("ranked by popularity" in n for n in out.notes)
        counts = [s.score for s in out.items]
        assert counts == sorted(counts, reverse=True) and len(counts) == 5
        for s in out.items:
            assert s.evidence[0].startswith("popular with MovieLens raters (")
            assert " avg, " in s.evidence[0] and s.evidence[0].endswith(" ratings)")
    top = rank_cf(CfArgs(k=1), ctx_for()).items[0]
    best = synthetic_catalog.query(
        "SELECT item_id, COUNT(DISTINCT user_id) n FROM ratings WHERE rating >= 4 "
        "GROUP BY item_id ORDER BY n DESC, item_id LIMIT 1")[0]
    assert (top.item_id, top.score) == (best[0], best[1])


def test_critic_with_liked_films_uses_them(synthetic_catalog, ctx_for):
    critic = synthetic_catalog.query(
        "SELECT critic FROM reviews WHERE critic IS NOT NULL LIMIT 1")[0][0]
    out = rank_cf(CfArgs(liked_ids=[ml_item(synthetic_catalog, 2571)], k=3),
                  ctx_for(f"critic:{critic}"))
    assert out.trace.startswith("cf (ease): ")
    assert any("no MovieLens ratings" in n for n in out.notes)


def test_items_without_ratings_do_not_crash_and_rank_last(synthetic_catalog, ctx_for):
    unrated = [r[0] for r in synthetic_catalog.query(
        "SELECT item_id FROM items WHERE rating_count = 0 ORDER BY item_id LIMIT 4")]
    never_liked = [r[0] for r in synthetic_catalog.query(
        "SELECT item_id FROM ratings GROUP BY item_id HAVING MAX(rating) < 4")]
    assert unrated and never_liked
    rated = [ml_item(synthetic_catalog, m) for m in (1, 6, 47)]
    matrix = ml_item(synthetic_catalog, 2571)
    candidates = unrated + never_liked + rated
    out = rank_cf(CfArgs(liked_ids=[matrix], k=50), ctx_for(), candidates=candidates)
    assert out.ids()[:3] == [i for i in out.ids() if i in rated]
    assert set(out.ids()) == set(candidates)
    bottom = [s for s in out.items if s.item_id not in rated]
    assert max(s.score for s in bottom) < min(s.score for s in out.items[:3])
    assert len({s.score for s in bottom}) == 1
    by_id = {s.item_id: s for s in out.items}
    assert by_id[unrated[0]].evidence == ["no MovieLens ratings: cf cannot score it"]
    assert by_id[never_liked[0]].evidence == ["no positive MovieLens ratings: cf cannot score it"]
    assert any("ranked after every scored film" in n for n in out.notes)
    assert out.trace == "cf (ease): 3 scored"

    # liking only films cf cannot use falls back to popularity, and says why
    only = rank_cf(CfArgs(liked_ids=unrated[:2], k=3), ctx_for())
    assert only.trace == "cf: popularity fallback"
    assert any("none of the liked films" in n for n in only.notes)


def test_unknown_liked_ids_are_an_argument_error(ctx_for):
    with pytest.raises(ToolArgumentError, match="999999999"):
        rank_cf(CfArgs(liked_ids=[999_999_999]), ctx_for())


def test_args_reject_unknown_fields_and_bad_k():
    with pytest.raises(ValueError):
        CfArgs.model_validate({"liked": [1]})
    with pytest.raises(ValueError):
        CfArgs(k=0)


# ------------------------------------------------------------------ real catalog


@pytest.mark.integration
def test_real_catalog_matrix_and_star_wars_fans(real_catalog, tmp_path):
    data = Interactions.from_catalog(real_catalog)
    assert data.shape == (610, 9723)
    save_cf(tmp_path / "cf", real_catalog, Ease(lam=200.0).fit(data), Popularity().fit(data))
    ctx = ToolContext(Resources(real_catalog, tmp_path))
    matrix, star_wars = 2571, 260  # MovieLens films keep their movieId as item id
    assert real_catalog.item(matrix).title == "The Matrix"
    out = rank_cf(CfArgs(liked_ids=[matrix, star_wars], k=10), ctx)
    labels = [real_catalog.item(i).label for i in out.ids()]
    assert out.trace.startswith("cf (ease): ")
    assert {1196, 1210} <= set(out.ids()[:5]), labels  # Empire Strikes Back, Return of the Jedi
    assert matrix not in out.ids() and star_wars not in out.ids()
    for s in out.items:
        assert s.evidence[0].startswith("liked by people who liked ")
        assert "The Matrix (1999)" in s.evidence[0] or "Star Wars" in s.evidence[0]
