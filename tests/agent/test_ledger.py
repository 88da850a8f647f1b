"""The constraint ledger: updates, overrides, filters."""

from __future__ import annotations

import pytest

from convrec.agent.ledger import Ledger, LedgerUpdate
from convrec.agent.ledger_apply import apply_update
from convrec.tools.filters import PersonRef
from convrec.tools.soft import SoftPreference


def test_update_builds_filter_and_chips():
    update = LedgerUpdate(genres_include=["Comedy"], year_from=1990, year_to=1999,
                          people_exclude=[PersonRef(name="Adam Sandler")])
    ledger = apply_update(Ledger(), update, turn=1)
    constraints = ledger.to_filter()
    assert constraints is not None
    assert constraints.genres_any == ["Comedy"]
    assert (constraints.year_from, constraints.year_to) == (1990, 1999)
    assert [p.name for p in constraints.people_exclude] == ["Adam Sandler"]
    assert ledger.describe() == ["Comedy", "1990-1999", "no Adam Sandler"]
    assert ledger.genres_include == {"Comedy": 1}


def test_empty_ledger_has_no_filter():
    assert Ledger().to_filter() is None
    assert Ledger().query() is None


def test_later_turn_overrides_earlier():
    ledger = apply_update(Ledger(), LedgerUpdate(year_from=2000, genres_exclude=["Horror"]), 1)
    # "actually the 90s are fine": the bound moves; "horror is ok": the exclusion goes
    ledger = apply_update(ledger, LedgerUpdate(year_from=1990, genres_allow=["Horror"]), 2)
    assert ledger.year_from is not None and ledger.year_from.value == 1990
    assert ledger.year_from.turn == 2
    assert ledger.genres_exclude == {}


def test_new_genre_replaces_unless_added():
    ledger = apply_update(Ledger(), LedgerUpdate(genres_include=["Comedy"]), 1)
    ledger = apply_update(ledger, LedgerUpdate(genres_include=["Drama"]), 2)
    assert list(ledger.genres_include) == ["Drama"]
    ledger = apply_update(ledger, LedgerUpdate(genres_include=["Crime"], genres_add=True), 3)
    assert set(ledger.genres_include) == {"Drama", "Crime"}


def test_excluding_what_was_included_moves_it():
    ledger = apply_update(Ledger(), LedgerUpdate(genres_include=["Horror"]), 1)
    ledger = apply_update(ledger, LedgerUpdate(genres_exclude=["Horror"]), 2)
    assert ledger.genres_include == {} and "Horror" in ledger.genres_exclude
    ledger = apply_update(ledger, LedgerUpdate(people_include=[PersonRef(name="Tom Hanks")]), 3)
    ledger = apply_update(ledger, LedgerUpdate(people_exclude=[PersonRef(name="tom hanks")]), 4)
    assert ledger.people_include == {} and len(ledger.people_exclude) == 1


def test_contradictory_bounds_keep_the_newer_one():
    ledger = apply_update(Ledger(), LedgerUpdate(year_from=2010), 1)
    ledger = apply_update(ledger, LedgerUpdate(year_to=1990), 2)
    assert ledger.year_from is None and ledger.year_to is not None
    assert ledger.to_filter() is not None  # never an invalid FilterArgs
    ledger = apply_update(ledger, LedgerUpdate(runtime_max=90), 3)
    ledger = apply_update(ledger, LedgerUpdate(runtime_min=120), 4)
    assert ledger.runtime_max is None and ledger.runtime_min is not None


def test_films_and_exclusions():
    ledger = apply_update(Ledger(), LedgerUpdate(liked_ids=[6], seen_ids=[1], rejected_ids=[2]), 1)
    ledger.shown.update({3: 1})
    assert ledger.excluded_ids() == [1, 2, 3, 6]
    ledger = apply_update(ledger, LedgerUpdate(disliked_ids=[6]), 2)
    assert 6 not in ledger.liked and 6 in ledger.disliked
    constraints = ledger.to_filter(with_exclusions=True)
    assert constraints is not None and constraints.exclude_ids == [1, 2, 3, 6]


def test_reset_forgets_wants_but_not_what_was_seen():
    ledger = apply_update(Ledger(), LedgerUpdate(genres_include=["Comedy"], wishes=["heist"],
                                                 seen_ids=[5]), 1)
    ledger = apply_update(ledger, LedgerUpdate(reset=True), 2)
    assert ledger.to_filter() is None and ledger.query() is None
    assert 5 in ledger.seen


def test_wishes_are_bounded_and_deduplicated():
    ledger = Ledger()
    for turn, wish in enumerate(["a", "b", "c", "d", "e", "c"], start=1):
        ledger = apply_update(ledger, LedgerUpdate(wishes=[wish]), turn)
    assert [w.text for w in ledger.wishes] == ["b", "d", "e", "c"]


def test_round_trips_through_json():
    ledger = apply_update(Ledger(), LedgerUpdate(liked_ids=[6], genres_include=["Comedy"]), 1)
    again = Ledger.model_validate_json(ledger.model_dump_json())
    assert again == ledger and 6 in again.liked


@pytest.mark.parametrize("update", [LedgerUpdate(), LedgerUpdate(clear_wishes=True)])
def test_empty_updates_change_no_constraint(update):
    ledger = apply_update(Ledger(), LedgerUpdate(genres_include=["War"]), 1)
    assert apply_update(ledger, update, 2).to_filter() == ledger.to_filter()


def test_chips_name_what_without_removes():
    update = LedgerUpdate(genres_include=["Comedy", "Drama"], genres_exclude=["Horror"],
                          year_from=1990, year_to=1999, runtime_max=120,
                          people_include=[PersonRef(name="Tom Hanks")],
                          people_exclude=[PersonRef(name="Adam Sandler")],
                          keywords_exclude=["zombie"], studios_exclude=["Pixar"],
                          wishes=["a road trip"])
    ledger = apply_update(Ledger(liked={5: 1}), update, turn=1)
    chips = {c.key: c.label for c in ledger.chips()}
    assert chips["genre:Comedy"] == "Comedy" and chips["genre:Drama"] == "Drama"
    assert ledger.describe()[0] == "Comedy or Drama"  # one chip when not split
    assert chips["era"] == "1990-1999" and chips["runtime"] == "under 120 min"
    assert chips["no-genre:Horror"] == "no Horror" and chips["wish:a road trip"].endswith("trip")
    for key in chips:
        smaller = ledger.without(key)
        assert key not in {c.key for c in smaller.chips()}
        assert len(smaller.chips()) == len(chips) - 1
        assert smaller.liked == {5: 1}  # films are not constraints
    assert ledger.without("genres").genres_include == {}
    only_drama = ledger.without("genre:Comedy")
    assert only_drama.genres_include == {"Drama": 1}
    assert only_drama.to_filter().genres_any == ["Drama"]
    with pytest.raises(ValueError, match="no constraint"):
        ledger.without("era:1990")
    with pytest.raises(ValueError, match="no constraint"):
        Ledger().without("era")


def _lean(kind: str, value: str, polarity: int = 1, **kw) -> SoftPreference:
    return SoftPreference(kind=kind, value=value, polarity=polarity, **kw)  # type: ignore[arg-type]


def test_a_leaning_is_a_soft_chip_and_never_a_filter():
    ledger = apply_update(Ledger(), LedgerUpdate(soft=[_lean("genre", "Horror", -1)]), 1)
    assert ledger.to_filter() is None
    chip = next(c for c in ledger.chips() if c.key == "soft:genre:Horror")
    assert chip.label == "rather not Horror" and not chip.hard
    assert ledger.without("soft:genre:Horror").soft == {}


def test_a_leaning_said_again_becomes_hard():
    first = apply_update(Ledger(), LedgerUpdate(soft=[_lean("genre", "Horror", -1)]), 1)
    again = apply_update(first, LedgerUpdate(soft=[_lean("genre", "Horror", -1)]), 2)
    assert again.genres_exclude == {"Horror": 2} and not again.soft
    era = _lean("era", "1990-1999", low=1990, high=1999)
    twice = apply_update(apply_update(Ledger(), LedgerUpdate(soft=[era]), 1),
                         LedgerUpdate(soft=[era]), 2)
    assert (twice.year_from.value, twice.year_to.value) == (1990, 1999)


def test_confirming_and_denying_an_asked_leaning():
    asked = apply_update(Ledger(), LedgerUpdate(
        soft=[_lean("genre", "Musical", weight=0.4, ask=True)]), 1)
    yes = apply_update(asked, LedgerUpdate(confirm=["genre:Musical"]), 2)
    assert yes.genres_include == {"Musical": 2} and not yes.soft
    no = apply_update(asked, LedgerUpdate(drop=["genre:Musical"]), 2)
    assert not no.soft and not no.genres_include


def test_a_hard_statement_replaces_a_leaning_and_a_leaning_away_lifts_a_requirement():
    leaning = apply_update(Ledger(), LedgerUpdate(soft=[_lean("genre", "Horror", -1)]), 1)
    hard = apply_update(leaning, LedgerUpdate(genres_include=["Horror"]), 2)
    assert hard.genres_include == {"Horror": 2} and not hard.soft
    lifted = apply_update(hard, LedgerUpdate(soft=[_lean("genre", "Horror", -1)]), 3)
    assert not lifted.genres_include and "genre:Horror" in lifted.soft


def test_instead_drops_without_refusing():
    ledger = apply_update(Ledger(), LedgerUpdate(
        people_include=[PersonRef(name="Tom Hanks")]), 1)
    dropped = apply_update(ledger, LedgerUpdate(drop=["person:Tom Hanks"]), 2)
    assert not dropped.people_include and not dropped.people_exclude


def test_context_is_for_retrieval_not_a_chip():
    ledger = apply_update(Ledger(), LedgerUpdate(wishes=["heist"], context="we loved Heat"), 1)
    assert ledger.query() == "heist we loved Heat"
    assert all("Heat" not in c.label for c in ledger.chips())
