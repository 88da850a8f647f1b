"""The markdown of `convrec bench claims` (docs/BENCHMARKS.md, section claims)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from convrec.eval.bench_claims import ClaimSample, audit_sample

AUDIT_ROWS = 12


def _pct(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.1f}%)" if whole else "0/0"


def _kinds(rates: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in rates["by_kind"].items()) or "-"


def _cell(text: str, limit: int = 90) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def claims_markdown(summary: dict[str, Any], samples: Sequence[ClaimSample], *, command: str,
                    backend: str, audit_file: str | None) -> str:
    after, before, free = summary["after"], summary["before"], summary["free"]
    n = summary["recommendation_turns"]
    lat = summary["latency_ms"]
    proto = summary["protocol"]
    lines = [
        "## Honest replies (issue 18)",
        "",
        f"Command: `{command}` (backend {backend}; {summary['seconds']:.0f} s on this machine).",
        "",
        "Protocol (convrec/eval/bench_claims.py): one agent answers the "
        f"{summary['scripted_conversations']} scripted conversations, then simulated users "
        f"(template phraser, {', '.join(proto['sources'])} {proto['split']} scenarios, personas "
        f"drawn with seed {proto['seed']}, at most {proto['max_turns']} turns) until at least "
        f"{proto['min_turns']} turns have recommended films. Every recommendation turn is "
        "checked from its result alone: the model-written text the user was shown (the intro, "
        "or an API model's whole reply) goes through the claim checker "
        "(convrec/agent/claims.py) against the turn's grounds (ledger, liked films, the "
        "user's message, the cards' facts and evidence). *Before* is, on the same turn, the "
        "intro the agent wrote before this change: the model's free greedy generation under "
        "the same prompt, shown when it passed the old checks (else the template header), read "
        "by the same checker. A reply counts as unsupported when it makes at least one "
        "unsupported claim.",
        "",
        f"Turns: {summary['turns']} in all, {n} recommendation turns "
        f"({summary['from_scripts']} from the scripts, the rest from "
        f"{summary['simulated_dialogues']} simulated dialogues).",
        "",
        "| | before: free intro, old checks | after: intro chosen among grounded phrasings |",
        "|---|---|---|",
        f"| replies with model-written text | {_pct(before['model_written'], n)} | "
        f"{_pct(after['model_written'], n)} |",
        f"| replies with an unsupported claim | {_pct(before['replies_with_unsupported'], n)} | "
        f"{_pct(after['replies_with_unsupported'], n)} |",
        f"| ... a name, genre, year, decade or number | "
        f"{_pct(before['replies_with_unsupported_fact'], n)} | "
        f"{_pct(after['replies_with_unsupported_fact'], n)} |",
        f"| unsupported claims / claims checked | "
        f"{_pct(before['unsupported_claims'], before['claims'])} | "
        f"{_pct(after['unsupported_claims'], after['claims'])} |",
        f"| unsupported, by kind | {_kinds(before)} | {_kinds(after)} |",
        f"| intro latency, side by side after the turn, p50 / p95 | "
        f"{lat['before_generation']['p50']:.0f} / {lat['before_generation']['p95']:.0f} ms "
        f"(greedy generation, n={lat['before_generation']['n']}) | "
        f"{lat['after_side_by_side']['p50']:.0f} / {lat['after_side_by_side']['p95']:.0f} ms "
        f"(candidates, checks, one scoring pass; the same sentence as in the turn: "
        f"{lat['after_side_by_side']['n'] - summary['rerun_differs']}/"
        f"{lat['after_side_by_side']['n']}) |",
        f"| intro latency in the turn, p50 / p95 | - | {lat['after_intro']['p50']:.0f} / "
        f"{lat['after_intro']['p95']:.0f} ms (n={lat['after_intro']['n']}) |",
        "",
        f"Free generations: {_pct(free['replies_with_unsupported'], n)} make an unsupported "
        f"claim; the old checks dropped {summary['before_dropped_by_old_checks']} of them. "
        f"Reply sources after: "
        + ", ".join(f"{k or '-'} {v}" for k, v in summary["reply_sources"].items()) + ".",
        "",
        "Most frequent unsupported claims of the free generations: "
        + ", ".join(f"{c} ×{k}" for c, k in summary["top_unsupported_before"]) + ".",
    ]
    if summary["errors"]:
        lines += ["", f"Errors ({len(summary['errors'])}): "
                  + "; ".join(summary["errors"][:5])]
    lines += ["", f"Audit sample ({AUDIT_ROWS} turns drawn with seed 0"
              + (f"; every turn is in `{audit_file}`" if audit_file else "") + "):", "",
              "| turn | user | chips | before (unsupported) | after |", "|---|---|---|---|---|"]
    for s in audit_sample(samples, AUDIT_ROWS):
        bad = f" ({'; '.join(s.before_unsupported)})" if s.before_unsupported else ""
        lines.append(
            f"| {_cell(s.origin, 40)} #{s.index} | {_cell(s.message, 60)} | "
            f"{_cell(', '.join(s.chips), 40)} | {_cell(s.before or '(template)')}"
            f"{' ' + _cell(bad) if bad else ''} | "
            f"{_cell(s.after or '(template)')} |")
    return "\n".join(lines)
