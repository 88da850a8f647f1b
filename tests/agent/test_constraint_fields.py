"""The constraint fields have one source, FilterArgs: the ledger, its updates and the LLM's
reading are checked against it, so a field added to one model and not placed for the others
fails here, by name."""

from __future__ import annotations

import pytest

from convrec.agent.ledger import Ledger, LedgerUpdate
from convrec.agent.ledger_apply import apply_update
from convrec.agent.ledger_fields import FILTER_FIELDS, NOT_FILTER_FIELDS, UPDATE_ONLY_FIELDS
from convrec.agent.refine import READING_FIELDS, LlmReading
from convrec.tools.filters import FilterArgs, PersonRef

# A value each LedgerUpdate field that sets a filter argument can take in a test.
SAMPLES = {
    "genres_include": ["Comedy"], "genres_exclude": ["Horror"], "year_from": 1990,
    "year_to": 1999, "runtime_min": 80, "runtime_max": 120, "languages": ["fr"],
    "min_rating": 7.0, "people_include": [PersonRef(name="Tom Hanks")],
    "people_exclude": [PersonRef(name="Adam Sandler")], "keywords_include": ["heist"],
    "keywords_exclude": ["zombie"], "studios_include": ["Pixar"], "studios_exclude": ["Disney"],
}


def _placed(column: int) -> set[str]:
    return {names[column] for names in FILTER_FIELDS.values() if names[column]}


def test_every_filter_argument_is_placed():
    missing = sorted(set(FilterArgs.model_fields) - set(FILTER_FIELDS))
    assert not missing, f"FilterArgs fields not in ledger_fields.FILTER_FIELDS: {missing}"
    unknown = sorted(set(FILTER_FIELDS) - set(FilterArgs.model_fields))
    assert not unknown, f"ledger_fields.FILTER_FIELDS names no FilterArgs field: {unknown}"


@pytest.mark.parametrize(("model", "column", "others", "others_name"), [
    (Ledger, 0, NOT_FILTER_FIELDS, "NOT_FILTER_FIELDS"),
    (LedgerUpdate, 1, UPDATE_ONLY_FIELDS, "UPDATE_ONLY_FIELDS"),
])
def test_every_field_is_a_filter_argument_or_declared_otherwise(model, column, others,
                                                                 others_name):
    fields, placed = set(model.model_fields), _placed(column)
    unplaced = sorted(fields - placed - others)
    assert not unplaced, (f"{model.__name__} fields neither in ledger_fields.FILTER_FIELDS nor in "
                          f"{others_name}: {unplaced}")
    unknown = sorted((placed | others) - fields)
    assert not unknown, f"{model.__name__} has no fields {unknown}"
    both = sorted(placed & others)
    assert not both, f"{model.__name__} fields both a filter argument and not: {both}"


def test_every_reading_field_goes_to_an_update_field():
    missing = sorted(set(LlmReading.model_fields) - set(READING_FIELDS))
    assert not missing, f"LlmReading fields not in refine.READING_FIELDS: {missing}"
    unknown = sorted(set(READING_FIELDS) - set(LlmReading.model_fields))
    assert not unknown, f"refine.READING_FIELDS names no LlmReading field: {unknown}"
    targets = sorted(set(READING_FIELDS.values()) - set(LedgerUpdate.model_fields))
    assert not targets, f"refine.READING_FIELDS maps to no LedgerUpdate field: {targets}"


@pytest.mark.parametrize("argument", sorted(n for n, (held, _) in FILTER_FIELDS.items() if held))
def test_an_update_reaches_its_filter_argument(argument):
    """Said in a turn, the constraint is held by the ledger and comes back as the argument."""
    held, setter = FILTER_FIELDS[argument]
    assert setter in SAMPLES, f"no test value for LedgerUpdate.{setter}: add one to SAMPLES"
    mode = "all" if argument == "genres_all" else "any"
    ledger = apply_update(Ledger(), LedgerUpdate.model_validate(
        {setter: SAMPLES[setter], "genre_mode": mode}), turn=1)
    assert getattr(ledger, held), f"LedgerUpdate.{setter} does not set Ledger.{held}"
    assert ledger.has_hard_constraints()
    constraints = ledger.to_filter()
    assert constraints is not None and getattr(constraints, argument) not in (None, []), (
        f"Ledger.{held} does not become FilterArgs.{argument}")
    assert ledger.chips(), f"Ledger.{held} shows no chip"
