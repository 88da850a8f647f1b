"""The learned ranker on the synthetic catalog: trained from training dialogues only, sane
features, used by the pipeline, and refused with a note when missing or stale."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from convrec.errors import ConvrecError
from convrec.tools.context import Resources, ToolContext
from convrec.tools.index_build import build_indexes
from convrec.tools.pipeline import RecommendRequest, recommend
from convrec.tools.ranking.contexts import DialogueContexts
from convrec.tools.ranking.dialogues import training_dialogues
from convrec.tools.ranking.features import FEATURE_NAMES, RankQuery, build_candidates
from convrec.tools.ranking.model import CARD_FILE, NAME, load_ranker, ranker_status
from convrec.tools.ranking.signals import DialogueSignals
from convrec.tools.ranking.source import catalog_space
from convrec.tools.ranking.turns import is_dev, training_turns


@pytest.fixture(scope="module")
def resources(synthetic_catalog, tmp_path_factory) -> Resources:
    index_dir = tmp_path_factory.mktemp("ranking-index")
    results = build_indexes(synthetic_catalog, index_dir)
    assert results[NAME]["built"]
    return Resources(synthetic_catalog, index_dir)


def split_ids(catalog, split):
    return {r[0] for r in catalog.query(
        "SELECT conversation_id FROM redial_dialogues WHERE split = ?", [split])}


def test_trained_on_training_dialogues_only(resources):
    catalog = resources.catalog
    train, test = split_ids(catalog, "train"), split_ids(catalog, "test")
    assert train and test and not train & test
    dialogues = training_dialogues(catalog)
    assert {d.conversation_id for d in dialogues} == train
    turns = list(training_turns(dialogues))
    assert turns and {t.conversation_id for t in turns} <= train
    fit = {t.conversation_id for t in turns if not is_dev(t.conversation_id)}
    dev = {t.conversation_id for t in turns if is_dev(t.conversation_id)}
    assert not fit & dev  # split by dialogue
    card = json.loads((resources.index_dir / NAME / CARD_FILE).read_text())
    assert card["data"]["training_dialogues"] == len(train)
    assert card["features"] == list(FEATURE_NAMES)
    # the shipped signals equal signals of the training dialogues, and a pair of films that
    # only test dialogues mention together has no count
    shipped = DialogueSignals.load(resources.index_dir / NAME)
    rebuilt = DialogueSignals.build(dialogues, catalog_space(catalog))
    assert shipped.dialogues == len(train)
    assert (shipped.pairs != rebuilt.pairs).nnz == 0
    test_only = DialogueSignals.build(dialogues_of_split(catalog, "test"),
                                      catalog_space(catalog))
    assert test_only.pairs.nnz > 0
    rows, cols = test_only.pairs.nonzero()
    unseen = [(r, c) for r, c in zip(rows, cols, strict=True) if rebuilt.pairs[r, c] == 0]
    assert unseen  # the test dialogues hold pairs the training ones do not ...
    assert all(shipped.pairs[r, c] == 0 for r, c in unseen)  # ... and none reached the model
    # the dialogue contexts the text features read are training turns, and only those
    contexts = DialogueContexts.load(resources.index_dir / NAME)
    assert len(contexts.conversations) and set(contexts.conversations) <= train
    assert len(contexts.conversations) == sum(1 for t in turns if t.query.text.strip())


def dialogues_of_split(catalog, split):
    from convrec.tools.ranking import dialogues as module

    original = module.TRAIN_SPLIT
    try:
        module.TRAIN_SPLIT = split
        return module.training_dialogues(catalog)
    finally:
        module.TRAIN_SPLIT = original


def test_the_test_split_is_read_only_when_named(resources):
    """Only `TRAIN_SPLIT` reaches the SQL: test dialogues come only when asked by name."""
    catalog = resources.catalog
    ids = {d.conversation_id for d in dialogues_of_split(catalog, "test")}
    assert ids == split_ids(catalog, "test")
    assert not ids & {d.conversation_id for d in training_dialogues(catalog)}


def test_features_are_sane(resources):
    ranker = load_ranker(ToolContext(resources))
    source = ranker.source
    ids = source.space.item_ids
    liked = int(ids[0])
    allowed = [int(i) for i in ids[: len(ids) // 2]]
    query = RankQuery(liked=(liked,), context=(liked,), text="a funny space adventure")
    found = build_candidates(query, source, allowed=allowed, extra=[int(ids[1])])
    candidates = found.item_ids(source.space)
    assert candidates and liked not in candidates  # a context film is never a candidate
    assert set(candidates) <= set(allowed)
    assert int(ids[1]) in candidates  # what the retrievers found is scored too
    assert found.features.shape == (len(candidates), len(FEATURE_NAMES))
    assert np.isfinite(found.features).all()
    column = FEATURE_NAMES.index("co_mention_total")
    row = source.space.positions([liked])[0]
    expected = source.signals.pairs[row].toarray().ravel()[found.rows]
    assert np.allclose(found.features[:, column], expected)
    nothing = build_candidates(RankQuery(exclude=frozenset(candidates)), source)
    assert not set(nothing.item_ids(source.space)) & set(candidates)


def test_words_like_a_training_turn_find_what_was_suggested_there(resources):
    """The contexts generator: a request worded like a training seeker's brings up the films
    the recommender suggested to that seeker, with votes and similarity."""
    ranker = load_ranker(ToolContext(resources))
    source = ranker.source
    turn = next(t for t in training_turns(training_dialogues(resources.catalog))
                if t.query.text.strip() and source.described[
                    source.space.positions(t.targets)].any())
    found = build_candidates(RankQuery(text=turn.query.text), source)
    ids = found.item_ids(source.space)
    votes = found.features[:, FEATURE_NAMES.index("context_votes")]
    similarity = found.features[:, FEATURE_NAMES.index("context_similarity")]
    suggested = [k for k, i in enumerate(ids) if i in turn.targets]
    assert suggested and (votes[suggested] > 0).all() and (similarity[suggested] > 0).all()
    assert votes[suggested].max() >= 0.99  # the turn itself is the nearest, similarity 1


def test_pipeline_ranks_with_it(resources):
    ctx = ToolContext(resources)
    some = int(load_ranker(ctx).source.space.item_ids[3])
    result = recommend(RecommendRequest(like_ids=[some], query="adventure", k=3), ctx)
    assert result.items and some not in {s.item_id for s in result.items}
    assert any(t.startswith("ranker (learned") for t in result.trace)
    assert "ranker" in result.timings_ms
    old = recommend(RecommendRequest(like_ids=[some], query="adventure", k=3, learned=False),
                    ctx)
    assert old.items and not any(t.startswith("ranker") for t in old.trace)


def test_missing_or_stale_ranker_is_said(resources, tmp_path):
    copy = tmp_path / "index"
    shutil.copytree(resources.index_dir, copy, symlinks=True)
    shutil.rmtree(copy / NAME)
    ctx = ToolContext(Resources(resources.catalog, copy))
    result = recommend(RecommendRequest(query="adventure", k=3), ctx)
    note = next(t for t in result.trace if t.startswith("ranker: not used"))
    assert "convrec rank train" in note and result.items  # fusion still ranks, and says so
    with pytest.raises(ConvrecError, match="convrec rank train"):
        load_ranker(ctx)
    shutil.copytree(resources.index_dir / NAME, copy / NAME)
    manifest = copy / NAME / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "catalog": "other"}))
    assert "another catalog" in (ranker_status(ctx) or "")
