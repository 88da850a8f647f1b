"""A run folder's report: metrics.json, report.md and its plots (PNG, matplotlib Agg).

`write_report` writes report.md with the command, config and machine, a side-by-side table of
every system (`summary_markdown`, also what docs/BENCHMARKS.md shows), one table per system,
per-persona and per-source tables, and three plots embedded by relative path:
success_by_turn.png, latency.png and recall.png. Figures come from `summarize` (see
`convrec.eval.metrics` for the protocol); latency histograms read the records themselves.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from convrec.errors import ConvrecError
from convrec.eval.metrics import KS, summarize
from convrec.eval.records import DialogueRecord
from convrec.eval.report import machine_line, markdown_table

PLOTS = {
    "success_by_turn": "success_by_turn.png",
    "latency": "latency.png",
    "recall": "recall.png",
}
# A latency spread (max / min positive) above this gets a log x axis.
LOG_SPREAD = 50.0

SUMMARY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("success", "success"),
    ("avg turns", "avg_turns"),
    ("Recall@10", "recall@10"),
    ("NDCG@10", "ndcg@10"),
    ("violation rate", "violation_rate"),
    ("repeat rate", "repeat_rate"),
    ("ooc rate", "ooc_rate"),
    ("ask/recommend", "ask_recommend_ratio"),
    ("latency p50 ms", "latency_p50_ms"),
    ("latency p95 ms", "latency_p95_ms"),
    ("n", "n"),
    ("leaked", "leaked"),
)


def _cell(value: Any) -> Any:
    """markdown_table formats numbers; this handles the rest (None, counts dicts)."""
    if value is None:
        return "–"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "–"
    return value


# ----------------------------------------------------------------------------- tables


def summary_markdown(summary: dict[str, Any]) -> str:
    """The side-by-side table of every system (one row each)."""
    headers = ["system", *(label for label, _ in SUMMARY_COLUMNS)]
    rows = [
        [name, *(_cell(figures.get(key)) for _, key in SUMMARY_COLUMNS)]
        for name, figures in summary["systems"].items()
    ]
    return markdown_table(headers, rows)


def _system_keys(ks: Sequence[int]) -> list[str]:
    return [
        "n", "n_total", "leaked", "errors", "ended_by", "max_turns", "success", "avg_turns",
        *(f"recall@{k}" for k in ks), *(f"ndcg@{k}" for k in ks),
        *(f"list_recall@{k}" for k in ks), *(f"list_ndcg@{k}" for k in ks),
        "violation_rate", "list_violation_rate", "repeat_rate", "ooc_rate",
        "ask_recommend_ratio", "n_asks", "n_recommends", "n_empty_recommends", "acts",
        "latency_p50_ms", "latency_p95_ms", "latency_mean_ms",
        "turns_per_dialogue", "films_per_dialogue", "n_lists", "n_films",
    ]


def system_markdown(figures: dict[str, Any], ks: Sequence[int] = KS) -> str:
    """One system's figures as a two-column table."""
    keys = [k for k in _system_keys(ks) if k in figures]
    return markdown_table(["metric", "value"], [[k, _cell(figures[k])] for k in keys])


def pivot_markdown(summary: dict[str, Any], key: str) -> str:
    """Success (average turns) with a row per system and a column per group of `key`
    ('by_source' or 'by_persona')."""
    groups = sorted({g for figures in summary["systems"].values() for g in figures[key]})
    rows = []
    for system, figures in summary["systems"].items():
        cells = []
        for group in groups:
            g = figures[key].get(group)
            cells.append("" if g is None or g["success"] is None
                         else f"{g['success']:.3f} ({g['avg_turns']:.2f})")
        rows.append([system, *cells])
    sizes = {g: max((f[key].get(g) or {}).get("n", 0) for f in summary["systems"].values())
             for g in groups}
    return markdown_table(["system", *(f"{g} (n={sizes[g]})" for g in groups)], rows)


# ----------------------------------------------------------------------------- plots


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (files only, no display)."""
    import matplotlib  # deferred: matplotlib loads only when a plot is drawn

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # deferred: matplotlib takes ~2 s to import

    return plt


def plot_success_by_turn(summary: dict[str, Any], path: Path) -> Path:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, figures in summary["systems"].items():
        curve = figures["success_by_turn"]
        ax.plot(range(1, len(curve) + 1), curve, marker="o", label=name)
    ax.set(xlabel="turn", ylabel="share of dialogues with a hit", ylim=(-0.02, 1.02),
           title="Success by turn")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _latencies(records: Sequence[DialogueRecord], systems: Sequence[str]) -> dict[str, Any]:
    """Per-turn latency of each system's scored dialogues."""
    return {
        name: np.array(
            [t.latency_ms for r in records if r.system == name and not r.leaked for t in r.turns],
            dtype=float,
        )
        for name in systems
    }


def _latency_bins(values: Sequence[Any]) -> tuple[Any, bool]:
    """Shared bins; log-spaced when the positive latencies span more than LOG_SPREAD."""
    every = np.concatenate([np.zeros(0), *values])
    positive = every[every > 0]
    if len(positive) and positive.max() / positive.min() > LOG_SPREAD:
        return np.geomspace(positive.min(), positive.max(), 40), True
    high = float(positive.max()) if len(positive) else 1.0
    return np.linspace(0.0, high, 40), False


def plot_latency(records: Sequence[DialogueRecord], systems: Sequence[str], path: Path) -> Path:
    """One histogram per system (stacked rows, shared x) of per-turn latency."""
    plt = pyplot()
    latencies = _latencies(records, systems)
    bins, log = _latency_bins(list(latencies.values()))
    rows = max(len(systems), 1)
    fig, axes = plt.subplots(rows, 1, figsize=(7, 1.3 * rows + 1.2), sharex=True, squeeze=False)
    for ax, name in zip(axes[:, 0], systems, strict=False):
        values = latencies[name]
        if log:
            values = np.clip(values, bins[0], None)  # 0 ms turns land in the first bin
        ax.hist(values, bins=bins, color="tab:blue")
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize="small")
        ax.tick_params(axis="y", labelsize="x-small")
    bottom = axes[-1, 0]
    if log:
        bottom.set_xscale("log")
    bottom.set_xlabel("per-turn latency (ms)" + (", log scale" if log else ""))
    axes[0, 0].set_title("Per-turn latency (turns per bin)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_recall(summary: dict[str, Any], path: Path) -> Path:
    """Grouped bars: cumulative Recall@k for each k, per system."""
    plt = pyplot()
    systems = list(summary["systems"])
    ks = summary.get("ks", list(KS))
    x = np.arange(len(systems))
    width = 0.8 / max(len(ks), 1)
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(systems) + 2), 4.5))
    for i, k in enumerate(ks):
        heights = [summary["systems"][s].get(f"recall@{k}") or 0.0 for s in systems]
        ax.bar(x + (i - (len(ks) - 1) / 2) * width, heights, width, label=f"Recall@{k}")
    ax.set_xticks(x, systems, rotation=20, ha="right")
    ax.set(ylabel="cumulative recall (mean over dialogues)", ylim=(0, 1.02),
           title="Recall of the films shown across the dialogue")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# ----------------------------------------------------------------------------- files


def write_metrics(run_dir: Path, summary: dict[str, Any]) -> Path:
    """metrics.json in the run folder."""
    path = Path(run_dir) / "metrics.json"
    path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return path


def _report_text(
    summary: dict[str, Any], *, title: str, command: str, config: dict[str, Any]
) -> str:
    ks = summary.get("ks", list(KS))
    parts = [
        f"# {title}",
        f"Command:\n\n```\n{command}\n```",
        f"Machine: {machine_line()}",
        f"Config:\n\n```json\n{json.dumps(config, indent=2, default=str)}\n```",
        "Protocol: `convrec.eval.metrics` (leaked dialogues dropped and counted; errors count "
        "as failures; a miss counts as max_turns + 1 turns; cumulative Recall/NDCG@k over the "
        f"distinct films in the order first shown, k in {tuple(ks)}; rates pooled over films).",
        "## Summary",
        summary_markdown(summary),
        "## Plots",
        *(f"![{name}]({file})" for name, file in PLOTS.items()),
        "## By persona: success (average turns)",
        pivot_markdown(summary, "by_persona"),
        "## By scenario source: success (average turns)",
        pivot_markdown(summary, "by_source"),
    ]
    for name, figures in summary["systems"].items():
        parts += [f"## System `{name}`", system_markdown(figures, ks)]
    return "\n\n".join(parts) + "\n"


def write_report(
    run_dir: Path,
    records: Sequence[DialogueRecord],
    summary: dict[str, Any],
    *,
    title: str,
    command: str,
    config: dict[str, Any],
) -> Path:
    """report.md and its three PNG plots in `run_dir`; returns the report's path."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    plot_success_by_turn(summary, run_dir / PLOTS["success_by_turn"])
    plot_latency(records, list(summary["systems"]), run_dir / PLOTS["latency"])
    plot_recall(summary, run_dir / PLOTS["recall"])
    path = run_dir / "report.md"
    path.write_text(
        _report_text(summary, title=title, command=command, config=config), encoding="utf-8"
    )
    return path


def finish_run(records: list[DialogueRecord], config: Any, out: Path, *,
               command: str) -> dict[str, Any]:
    """The end of a simulation run (`convrec simulate`, the browser app's Evaluate tab): the
    metrics of every record of the folder into metrics.json, report.md and the plots."""
    if not records:
        raise ConvrecError(f"no dialogues in {out}")
    summary = summarize(records)
    # Every user message but the last is one the simulator wrote (a closing one too, if any).
    messages = sum(len(r.turns) + (r.ended_by in ("accept", "gave_up")) for r in records)
    summary["simulator"] = {"messages": messages,
                            "fallbacks": sum(r.simulator_fallbacks for r in records)}
    write_metrics(out, summary)
    write_report(out, records, summary, title=f"Simulation {out.name}", command=command,
                 config=config.to_json())
    return summary
