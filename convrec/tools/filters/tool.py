"""filter_items and violations: the tool over the compiled clauses."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from convrec.tools.base import ToolOutput
from convrec.tools.context import ToolContext
from convrec.tools.filters.args import FilterArgs
from convrec.tools.filters.clauses import Clause, compile_filter, id_clause
from convrec.tools.filters.sql import _select, _Sql, _where
from convrec.tools.filters.vocab import Film, FilterVocab, get_vocab

TOOL = "filter_items"



def _candidate_clause(
    candidates: Collection[int] | None, vocab: FilterVocab, notes: list[str]
) -> tuple[Clause | None, int]:
    if candidates is None:
        return None, vocab.n_items
    given = {int(i) for i in candidates}
    known = given & vocab.films.keys()
    if len(known) < len(given):
        notes.append(f"{len(given) - len(known):,} candidate ids are not in the catalog; ignored")
    return id_clause(known, vocab, exclude=False, name="among the candidates"), len(known)


def _evidence(spans: list[tuple[Clause, int, int]], film: Film, row: Sequence[Any]) -> list[str]:
    out: list[str] = []
    for clause, start, end in spans:
        text = clause.evidence(film, row[start:end])
        if text and text not in out:
            out.append(text)
    return out


def filter_items(
    args: FilterArgs, ctx: ToolContext, *, candidates: Collection[int] | None = None
) -> ToolOutput:
    """Films that meet every hard constraint in `args`, most popular first.

    `candidates` (from the candidate bus, not the LLM) restricts the search to those
    ids. Each film's evidence names the constraints it meets ("Comedy", "1994",
    "94 min", "with Robin Williams"). When nothing matches, the notes say which
    single constraint, if dropped, would give films, and how many.
    """
    vocab = get_vocab(ctx)
    compiled = compile_filter(args, vocab)
    notes = list(compiled.notes)
    scope, n_from = _candidate_clause(candidates, vocab, notes)
    where = [*compiled.clauses, *([scope] if scope else [])]
    query = _select(compiled.columns(), where)
    rows = [tuple(r) for r in ctx.catalog.query(query.text, query.params)]
    films = vocab.films
    rows.sort(key=lambda r: (-films[r[0]].prior, r[0]))
    kept = rows[: args.limit] if args.limit else rows
    spans = compiled.spans()
    # dicts, validated in one pass by ToolOutput: much faster than a model per film
    items = [
        {"item_id": r[0], "score": films[r[0]].prior, "evidence": _evidence(spans, films[r[0]], r)}
        for r in kept
    ]
    if not rows and n_from:
        notes.extend(relax_notes(ctx, where))
    trace = f"filter: {n_from:,} -> {len(rows):,}"
    if len(kept) < len(rows):
        trace += f" (kept {len(kept):,})"
    return ToolOutput.model_validate(
        {"tool": TOOL, "items": items, "trace": trace, "notes": notes}
    )


def relax_notes(ctx: ToolContext, clauses: Sequence[Clause]) -> list[str]:
    """Which single constraint, dropped, would give films: one COUNT query per constraint."""
    gains: list[tuple[int, Clause]] = []
    for clause in clauses:
        if not clause.relaxable:
            continue
        cond = _where([c for c in clauses if c is not clause])
        count = ctx.catalog.query(f"SELECT COUNT(*) FROM items WHERE {cond.text}", cond.params)
        if count[0][0]:
            gains.append((count[0][0], clause))
    if not gains:
        return ["no film meets these constraints, and dropping any single one does not help"]
    gains.sort(key=lambda g: -g[0])
    options = "; ".join(f"{c.field} ({c.name}) -> {n:,} films" for n, c in gains)
    return [f"no film meets every constraint; dropping one of them would give: {options}"]


def violations(
    item_ids: Iterable[int], args: FilterArgs, ctx: ToolContext
) -> dict[int, list[str]]:
    """For each given id, the constraints of `args` it violates (an empty list: none).

    Evaluates the same compiled clauses as filter_items, per film, so a film that
    filter_items returns has no violations and one it leaves out has at least one.
    Ids that are not catalog items get ["not in the catalog"].
    """
    ids = list(dict.fromkeys(int(i) for i in item_ids))
    vocab = get_vocab(ctx)
    compiled = compile_filter(args, vocab)
    checks = [_Sql(f"CASE WHEN ({c.sql.text}) THEN 1 ELSE 0 END", c.sql.params)
              for c in compiled.clauses]
    result: dict[int, list[str]] = {i: ["not in the catalog"] for i in ids}
    known = [i for i in ids if i in vocab.films]
    for start in range(0, len(known), 500):
        scope = id_clause(known[start:start + 500], vocab, exclude=False, name="asked")
        query = _select([*compiled.columns(), *checks], [scope])
        width = 1 + len(compiled.columns())
        for row in ctx.catalog.query(query.text, query.params):
            film = vocab.films[row[0]]
            passed = row[width:]
            result[row[0]] = [
                clause.violation(film, row[start:end])
                for (clause, start, end), ok in zip(compiled.spans(), passed, strict=True)
                if not ok
            ]
    return result
