"""filter_items and violations: user text never reaches SQL as SQL, and the catalog is
never changed (the synthetic catalog here; the real one in test_filters_real.py)."""

from __future__ import annotations

import pytest

from convrec.tools.base import ToolArgumentError
from convrec.tools.filters import FilterArgs, compile_filter, filter_items, get_vocab, violations
from convrec.tools.filters import sql as filters  # the SQL builder's allowlist checks
from tests.tools.filter_cases import (
    PAYLOADS,
    SQL_WORDS,
    STRING_FIELDS,
    catalog_state,
    run,
)


@pytest.mark.parametrize("field", sorted(STRING_FIELDS))
@pytest.mark.parametrize("payload", PAYLOADS)
def test_injection_is_just_an_unknown_value(ctx, field, payload):
    what, make = STRING_FIELDS[field]
    before = catalog_state(ctx.catalog)
    with pytest.raises(ToolArgumentError) as plain:
        filter_items(FilterArgs(**make("Qqqzzx Vvvkk")), ctx)
    with pytest.raises(ToolArgumentError) as err:
        filter_items(FilterArgs(**make(payload)), ctx)
    assert catalog_state(ctx.catalog) == before
    message = str(err.value)
    assert message.startswith(f"unknown {what} {payload!r}")
    assert str(plain.value).startswith(f"unknown {what} 'Qqqzzx Vvvkk'")
    assert set(err.value.suggestions) == set(plain.value.suggestions) == {field}
    rest = message.replace(repr(payload), "").lower()
    assert not any(word in rest for word in SQL_WORDS), message
    violations_before = catalog_state(ctx.catalog)
    with pytest.raises(ToolArgumentError):
        violations([1, 2], FilterArgs(**make(payload)), ctx)
    assert catalog_state(ctx.catalog) == violations_before


def test_compiled_sql_never_contains_user_text(ctx):
    args = FilterArgs(genres_any=["Comedy"], languages=["French"], keywords_any=['"artsy"'],
                      people_include=["Audrey Tautou"], people_exclude=["Adam Sandler"])
    compiled = compile_filter(args, get_vocab(ctx))
    for clause in compiled.clauses:
        for text in ('"artsy"', "artsy", "Audrey", "Sandler", "French", "'fr'", "Comedy"):
            assert text not in clause.sql.text
        assert clause.sql.text.count("?") == len(clause.sql.params)
    assert run(ctx, **args.model_dump(exclude_defaults=True)) == {4973}


def test_identifiers_come_from_the_allowlist():
    with pytest.raises(KeyError):
        filters._between("runtime; DROP TABLE items", 1, 2)
    with pytest.raises(KeyError):
        filters._exists("items WHERE 1=1 --", [1])
    with pytest.raises(ValueError, match="not allowed"):
        filters._exists("credit", [1], role="actor' OR 1=1 --")
