"""The agent benchmark's results as a docs/BENCHMARKS.md section (its protocol is the
docstring of convrec/eval/bench_agent.py)."""

from __future__ import annotations

from typing import Any

from convrec.eval import bench_agent
from convrec.eval.bench_agent import COUNTS
from convrec.eval.report import machine_line, markdown_table


def agent_markdown(results: dict[str, Any], *, backend: str, command: str,
                   source: str = "benchmarks/conversations",
                   max_problems: int | None = 40) -> str:
    counts = results["counts"]
    load = results["load_average"]
    load_text = (f"; load average {load['start']} at the start, {load['end']} at the end"
                 if load["start"] is not None else "")

    def ms(v: dict[str, float]) -> list[str]:
        return [f"{v['p50']:.1f}", f"{v['p95']:.1f}"]

    latency_rows = [[part, *ms(v), v["n"]] for part, v in results["latency_ms"].items()]
    latency_rows.append(["first streamed token", *ms(results["first_token_ms"]),
                         results["first_token_ms"]["n"]])
    conv_rows = [
        [r["conversation"], r["user"], r["turns"], r["items"], r["violations"], r["repeats"],
         r["out_of_catalog"], r["rated_before"], r["exceptions"], r["expectation_failures"],
         f"{r['turn_ms_p50']:.0f}", f"{r['conversation_ms']:.0f}"]
        for r in results["per_conversation"]
    ]
    conv_rows.append([
        "**all**", "", results["turns"] // max(results["repeats"], 1),
        results["items"] // max(results["repeats"], 1), counts["violations"], counts["repeats"],
        counts["out_of_catalog"], counts["rated_before"], counts["exceptions"],
        counts["expectation_failures"], f"{results['latency_ms']['total']['p50']:.0f}",
        f"{sum(r['conversation_ms'] for r in results['per_conversation']):.0f}",
    ])
    mix = "; ".join(
        f"{name}: " + ", ".join(f"{k} {v}" for k, v in results[name].items())
        for name in ("acts", "act_sources", "reply_sources")
    )
    protocol = (bench_agent.__doc__ or "").split("Protocol.", 1)[-1].strip()
    parts = [
        f"## Agent: scripted conversations, checks and turn latency (backend {backend})",
        f"Command: `{command}`  \nMachine: {machine_line()}{load_text}",
        "Protocol. " + protocol,
        f"{results['conversations']} conversations (`{source}`) x {results['repeats']} run(s): "
        f"{results['turns']} turns, {results['items']} films recommended, "
        f"{results['seconds']} s in all.",
        "### Checks (each must be 0, expectation failures aside)",
        markdown_table(
            ["violations", "repeats", "out of catalog", "rated before", "exceptions",
             "expectation failures"],
            [[counts[k] for k in COUNTS]],
        ),
        "### Latency per turn (ms)",
        markdown_table(["part", "p50", "p95", "turns"], latency_rows),
        f"Acts and sources: {mix}.",
        "### Per conversation (counts over all runs; ms per run)",
        markdown_table(
            ["conversation", "user", "turns", "films", "viol.", "repeats", "out of cat.",
             "rated", "exc.", "expect. failed", "turn p50 ms", "conversation ms"],
            conv_rows,
        ),
    ]
    if results["problems"]:
        shown = results["problems"][:max_problems]
        more = len(results["problems"]) - len(shown)
        parts.append("### Problems\n\n" + "\n".join(f"- {p}" for p in shown)
                     + (f"\n- … and {more} more" if more else ""))
    return "\n\n".join(parts)
