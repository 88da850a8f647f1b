"""`convrec eval redial`: every system over the ReDial turns, scored raw and with the
mentioned films removed, and the docs/BENCHMARKS.md section (protocol in
convrec/eval/redial.py)."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from convrec.errors import ConvrecError
from convrec.eval import redial
from convrec.eval.redial import (
    CUTOFF,
    KS,
    PUBLISHED,
    SYSTEMS,
    VARIANTS,
    Ranker,
    evaluate_rankings,
    load_redial_turns,
)
from convrec.eval.redial_rankers import AgentRanker, make_ranker
from convrec.eval.report import load_average, markdown_table
from convrec.progress import Progress
from convrec.tools.context import ToolContext


def run_redial_bench(
    ctx: ToolContext,
    *,
    split: str = "test",
    systems: Sequence[str] = SYSTEMS,
    limit: int | None = None,
    progress: Progress | None = None,
    rankers: dict[str, Ranker] | None = None,
) -> dict[str, Any]:
    """Run the benchmark (protocol in the module docstring) and return its figures.

    `rankers` replaces the named systems (tests pass a fake one).
    """
    if limit is not None and limit < 1:
        raise ConvrecError(f"limit must be at least 1 (got {limit})")
    load_before = load_average()
    started = time.perf_counter()
    turns, stats = load_redial_turns(ctx.catalog, split, limit)
    if not turns:
        raise ConvrecError(f"no ReDial {split!r} turn to evaluate in the catalog")
    chosen = rankers or {name: make_ranker(name, ctx) for name in systems}
    results: dict[str, dict[str, dict[str, float] | None]] = {v: {} for v in VARIANTS}
    seconds: dict[str, float] = {"load_turns": time.perf_counter() - started}
    notes: dict[str, Any] = {}
    for name, ranker in chosen.items():
        t0 = time.perf_counter()
        rankings = ranker(turns, progress)
        seconds[name] = time.perf_counter() - t0
        for variant, figures in evaluate_rankings(turns, rankings).items():
            results[variant][name] = figures
        if isinstance(ranker, AgentRanker):
            notes[name] = {**ranker.empty, "tool_errors": len(ranker.errors),
                           "first_errors": ranker.errors[:3]}
    seconds["total"] = time.perf_counter() - started
    return {
        "benchmark": "redial-recommendation",
        "split": split,
        "limit": limit,
        "ks": list(KS),
        "cutoff": CUTOFF,
        "systems": list(chosen),
        "turns": {"raw": len(turns), "mentioned_removed": sum(bool(t.new_targets) for t in turns)},
        "stats": asdict(stats),
        "coverage": stats.coverage(),
        "results": results,
        "notes": notes,
        "seconds": {k: round(v, 1) for k, v in seconds.items()},
        "load_average": [load_before, load_average()],
    }


def redial_markdown(report: dict[str, Any], command: str, machine: str) -> str:
    """The benchmarks-doc section: command, machine, protocol, one table per variant."""
    protocol = (redial.__doc__ or "").split("Protocol", 1)[-1].rstrip()
    headers = ["system", *[f"Recall@{k}" for k in KS], "seconds"]
    parts = [
        "## ReDial recommendation benchmark",
        f"Command: `{command}`  \nMachine: {machine}",
        "Protocol" + protocol,
    ]
    titles = {"raw": "Raw (repeated films count)",
              "mentioned_removed": "Mentioned films removed (from rankings and targets)"}
    for variant in VARIANTS:
        rows = [[name, *_cells(figures), f"{report['seconds'].get(name, 0):.1f}"]
                for name, figures in report["results"][variant].items()]
        rows += [[f"{p.system} (published)", *[_number(p.recall.get(k)) for k in KS], "-"]
                 for p in PUBLISHED if p.variant == variant]
        turns = report["turns"][variant]
        coverage = report["coverage"][variant]
        parts += [f"### {titles[variant]}: {turns:,} turns, coverage {_number(coverage)}",
                  markdown_table(headers, rows)]
    parts.append(_facts(report))
    parts.append("Published rows (other catalogs, see the protocol): " + "; ".join(
        f"{p.system} {p.variant.replace('_', ' ')}: {p.source}" for p in PUBLISHED) + ".")
    return "\n\n".join(parts)


def _cells(figures: dict[str, float] | None) -> list[str]:
    return [_number(None if figures is None else figures.get(f"recall@{k}")) for k in KS]


def _number(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.4f}"


def _facts(report: dict[str, Any]) -> str:
    stats = report["stats"]
    facts = [f"{k.replace('_', ' ')}: {v:,}" for k, v in stats.items()]
    for name, note in report["notes"].items():
        facts.append(f"{name} empty rankings: {note['nothing_known']} with nothing known yet, "
                     f"{note['no_film_meets_constraints']} with no film meeting every hard "
                     f"constraint, {note['other_empty']} other; "
                     f"{name} tool errors: {note['tool_errors']}")
    loads = " / ".join("?" if x is None else f"{x:.2f}" for x in report["load_average"])
    facts.append(f"total run time: {report['seconds']['total']:.0f} s (1-minute load average "
                 f"before / after: {loads})")
    return "Counts (split " + f"{report['split']}): " + ", ".join(facts) + "."
