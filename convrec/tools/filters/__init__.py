"""filter_items: hard constraints (genre, era, runtime, language, rating, people, keywords).

The arguments are compiled into ONE parameterized SQL query over `items`, with an
EXISTS subquery per link table (item_genres, credits, item_keywords, tags) so that
SQLite answers each from its primary key or the indexes of schema.py. The SQL is
assembled by a small builder (`_Sql` and the helpers below it): every identifier
comes from a fixed allowlist (`_ITEM_EXPR`, `_LINKS`) and every value is a bound
parameter; no user text is ever formatted into SQL.

Names are resolved in Python before the query runs, against vocabularies read once
per `Resources` (genres, people, languages present, keywords and MovieLens tags).
An unknown name is a `ToolArgumentError` with the nearest valid values, never a
silent empty result.

Unknown attributes never satisfy a bound: a film with no runtime fails a runtime
limit, one with no year fails a year range, one with no original language (only
TMDB films have one) fails a language constraint, one with no rating fails
min_rating. A hard constraint is a promise to the user; a film we cannot check
is not shown rather than shown by luck.

`violations` checks given films against the same compiled clauses, so it agrees
with `filter_items` by construction.

The package's modules, lowest first: `sql` (the builder), `prior`, `vocab`
(vocabularies and per-film facts), `args` (FilterArgs), `names` (name resolution),
`clauses` (FilterArgs -> Clauses), `tool` (filter_items, violations). It imports
only catalog and tools.base/context: the tools layer, below the agent.

`FilterArgs` is the one source of the constraint fields. The agent's models of the same
constraints (`Ledger`, `LedgerUpdate` in convrec.agent.ledger, `LlmReading` in
convrec.agent.refine) are placed against it by tables there
(`agent.ledger_fields.FILTER_FIELDS`, `agent.refine.READING_FIELDS`), and
tests/agent/test_constraint_fields.py fails, naming the field, when a field is added to
one of them and not placed; add a constraint here first.
"""

from __future__ import annotations

# The names other modules import (the tool registry reads filter_items and FilterArgs here).
from convrec.tools.filters.args import LANGUAGE_ALIASES, LANGUAGE_NAMES, FilterArgs, PersonRef
from convrec.tools.filters.clauses import compile_filter
from convrec.tools.filters.names import resolve_genre, resolve_language
from convrec.tools.filters.tool import filter_items, violations
from convrec.tools.filters.vocab import VOCAB_RESOURCE, FilterVocab, get_vocab

__all__ = [
    "LANGUAGE_ALIASES", "LANGUAGE_NAMES", "VOCAB_RESOURCE", "FilterArgs", "FilterVocab",
    "PersonRef", "compile_filter", "filter_items", "get_vocab", "resolve_genre",
    "resolve_language", "violations",
]
