"""The relax reply's options are the ledger's own chips, dropped the way the user drops one."""

from __future__ import annotations

import pytest

from convrec.agent.act import candidate_stats
from convrec.agent.ledger import Ledger, LedgerUpdate
from convrec.agent.ledger_apply import apply_update
from convrec.agent.nodes.respond import relax_label, relax_options
from convrec.tools.context import Resources, ToolContext
from convrec.tools.filters import PersonRef


@pytest.fixture(scope="module")
def ctx(synthetic_catalog, tmp_path_factory) -> ToolContext:
    return ToolContext(Resources(synthetic_catalog, tmp_path_factory.mktemp("index")))


def _everything() -> Ledger:
    """A ledger with every kind of chip, two wanted studios among them."""
    return apply_update(Ledger(), LedgerUpdate(
        genres_include=["Comedy", "Drama"], genre_mode="all", genres_exclude=["Horror"],
        year_from=1990, year_to=2010, runtime_max=120, languages=["en"], min_rating=5.0,
        people_include=[PersonRef(name="Adam Sandler")],
        people_exclude=[PersonRef(name="Jim Carrey")], keywords_include=["golf"],
        keywords_exclude=["time loop"], studios_include=["Universal", "Paramount"],
        studios_exclude=["Warner Bros."], wishes=["something warm"],
    ), turn=1)


def _widening(ledger: Ledger, ctx: ToolContext) -> dict[str, int]:
    """Every hard chip the filter holds whose removal gives films: its relax label -> films."""
    constraints = ledger.to_filter()
    widening = {}
    for chip in ledger.chips(split_studios=True):
        without = ledger.without(chip.key)
        count = candidate_stats(without, ctx).count
        if chip.hard and without.to_filter() != constraints and count:
            widening[relax_label(chip)] = count
    return widening


def test_every_chip_that_widens_the_candidates_is_a_relax_option(ctx):
    ledger = _everything()
    kinds = {c.key.partition(":")[0] for c in ledger.chips(split_studios=True)}
    assert kinds >= {"genre", "no-genre", "era", "runtime", "languages", "rating", "person",
                     "no-person", "keywords", "no-keyword", "studio", "no-studio", "wish"}
    widening = _widening(ledger, ctx)
    assert widening, "the test ledger should have at least one constraint worth dropping"
    options = relax_options(ledger, ctx)
    assert dict(options) == widening
    assert [n for _, n in options] == sorted(widening.values(), reverse=True)
    assert "about: something warm" not in dict(options)  # a wish is not a filter


def test_a_wanted_keyword_is_a_relax_option(real_resources):
    """French romance with time travel from the 80s: none; without the keyword, or the
    language, there are some (the hand copy of the chips had forgotten wanted keywords)."""
    ctx = ToolContext(real_resources)
    ledger = apply_update(Ledger(), LedgerUpdate(
        genres_include=["Romance"], keywords_include=["time travel"], year_from=1980,
        year_to=1989, languages=["fr"]), turn=1)
    assert candidate_stats(ledger, ctx).count == 0
    options = relax_options(ledger, ctx)
    assert dict(options) == _widening(ledger, ctx)
    assert {"time travel", "the language"} <= {label for label, _ in options}


def test_relax_labels_name_ranges_and_fields():
    ledger = _everything()
    labels = {c.key: relax_label(c) for c in ledger.chips(split_studios=True)}
    assert labels["era"] == "the era" and labels["runtime"] == "the runtime limit"
    assert labels["languages"] == "the language" and labels["rating"] == "the minimum rating"
    assert labels["studio:Universal"] == "by Universal" and labels["genre:Drama"] == "Drama"
    assert {"with Adam Sandler", "no Jim Carrey", "no time loop", "not by Warner Bros."} <= set(
        labels.values())


def test_a_wanted_studio_chip_drops_one_studio():
    ledger = _everything()
    assert list(ledger.without("studio:Paramount").studios_include) == ["Universal"]
    shown = [c.key for c in ledger.chips() if "studio" in c.key]  # the UI's chips: one for both
    assert shown == ["studios", "no-studio:Warner Bros."]
