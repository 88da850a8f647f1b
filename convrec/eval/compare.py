"""Compare two runs (or two systems of one run) with bootstrap confidence intervals.

Protocol (`compare_runs`):

* Dialogues: the scored ones (not leaked) of each side; metrics as in `convrec.eval.metrics`
  (each a pooled ratio from SYSTEM_METRICS: a mean over dialogues, or a sum over a sum such as
  films with violations / films shown).
* Pairing: by (system, scenario.id). By default every system present in both runs is compared
  with itself; `system_a` / `system_b` compare one system of A with one of B (pass the same
  records twice to compare two systems of one run, e.g. 'agent:none' against 'floor').
* Paired bootstrap ("paired"): over the n scenarios scored on both sides. One (resamples, n)
  matrix of resample indices is drawn per compared pair from `default_rng(seed)` and reused for
  every metric; each resample recomputes both sides' figures on the same scenarios, and the
  interval is the percentile interval of B − A. mean_a / mean_b / diff are on the paired
  scenarios.
* Unpaired bootstrap ("unpaired"), only when no scenario is scored on both sides: each side's
  dialogues are resampled independently (its own index matrix), the interval is the
  percentile interval of the resampled B − A, and mean_a / mean_b use every scored dialogue.
* A resample whose denominator is 0 (e.g. no film shown) is left out of the interval; a
  figure with no defined value is None.

The resampling is `scipy.stats.bootstrap` (vectorized, `rng=default_rng(seed)`). It is given
the dialogues' indices as its samples (one sample when paired, so A and B share every
resample; one per side when unpaired, A drawn first) and the statistic turns each resample's
index matrix into draw counts, so every resampled sum over dialogues is one matrix product
and one index matrix serves all metrics. scipy draws each sample's (resamples, n) index
matrix with `rng.integers(0, n, ...)` exactly as the hand-written bootstrap before it did, so
the bootstrap distributions are the same at the same seed.

The interval is taken from that distribution with `np.percentile` over the defined resamples
(as before), not from scipy's `confidence_interval`: scipy's `stats.quantile` rounds its
interpolation differently (on two 20-scenario runs, 26 of 408 interval ends moved by up to
6e-14, invisible at 4 decimals but not the same figures) and gives NaN for a metric as soon
as one resample is undefined. scipy also refuses samples of one dialogue; such a side is
constant here (every resample of one dialogue is that dialogue, and numpy draws nothing for
it, so the other side's draws are unchanged).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from convrec.eval.metrics import SYSTEM_METRICS, dialogues_metrics, systems_in_order
from convrec.eval.records import DialogueRecord
from convrec.eval.report import markdown_table

DEFAULT_COMPARE_METRICS: tuple[str, ...] = (
    "success",
    "avg_turns",
    "recall@5",
    "recall@10",
    "recall@20",
    "ndcg@10",
    "list_ndcg@10",
    "violation_rate",
    "repeat_rate",
    "ooc_rate",
    "ask_recommend_ratio",
    "latency_mean_ms",
)

COLUMNS: tuple[str, ...] = ("system", "metric", "A", "B", "B − A", "CI", "n", "method")

Rows = dict[str, dict[str, Any]]  # scenario id -> per-dialogue metrics


# ----------------------------------------------------------------------------- data


def _scored_by_scenario(records: Sequence[DialogueRecord], system: str) -> Rows:
    """The scored dialogues of one system, keyed by scenario id (duplicates are an error)."""
    chosen = [r for r in records if r.system == system and not r.leaked]
    out: Rows = {}
    for row in dialogues_metrics(chosen):
        if row["scenario_id"] in out:
            raise ValueError(f"duplicate dialogue for ({system!r}, {row['scenario_id']!r})")
        out[row["scenario_id"]] = row
    return out


def _matrices(rows: Sequence[dict[str, Any]], metrics: Sequence[str]) -> tuple[Any, Any]:
    """(numerators, denominators), each shape (n dialogues, n metrics); a mean has 1s below."""

    def column(key: str | None) -> list[float]:
        return [1.0 if key is None else float(row[key]) for row in rows]

    num = np.array([column(SYSTEM_METRICS[m][0]) for m in metrics], dtype=float)
    den = np.array([column(SYSTEM_METRICS[m][1]) for m in metrics], dtype=float)
    shape = (len(metrics), len(rows))
    return num.reshape(shape).T, den.reshape(shape).T


def _ratio(num: Any, den: Any) -> Any:
    """num / den elementwise, NaN where den is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den != 0, num / np.where(den != 0, den, 1.0), np.nan)


def _counts(idx: Any, n: int) -> Any:
    """How often each of n items is drawn in each resample of an index matrix (resamples, n):
    counting them turns every resampled sum into one matrix product."""
    resamples = idx.shape[0]
    offsets = (np.arange(resamples) * n)[:, None]
    return np.bincount((idx + offsets).ravel(), minlength=resamples * n).reshape(resamples, n)


def _boot(counts: Any, num: Any, den: Any) -> Any:
    """Resampled figures, shape (resamples, n metrics)."""
    return _ratio(counts @ num, counts @ den)


def _bootstrap(
    sizes: Sequence[int], diffs: Any, resamples: int, confidence: float,
    rng: np.random.Generator,
) -> tuple[list[float | None], list[float | None]]:
    """The percentile interval of B − A per metric, over scipy.stats.bootstrap's resamples.

    `sizes`: the samples of dialogue indices (one when paired, A and B when not);
    `diffs(*counts)`: the resampled B − A, (resamples, metrics), from each sample's draw
    counts. A sample of one dialogue is constant (scipy refuses samples of one; numpy would
    draw nothing for it either). Where some resamples are undefined (NaN) the interval is
    that of the defined ones; None where none is.
    """
    from scipy import stats  # deferred: scipy takes ~0.4 s to import (CLI start-up)

    drawn = [i for i, n in enumerate(sizes) if n > 1]

    def statistic(*idx: Any, axis: int = -1) -> Any:
        batch = idx[0].shape[0] if idx else resamples
        counts = [_counts(idx[drawn.index(i)], n) if i in drawn
                  else np.ones((batch, 1), dtype=np.int64) for i, n in enumerate(sizes)]
        return diffs(*counts).T  # (metrics, resamples): scipy wants the resamples last

    if drawn:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", stats.DegenerateDataWarning)  # NaN resamples
            distribution = stats.bootstrap(
                [np.arange(sizes[i]) for i in drawn], statistic, n_resamples=resamples,
                vectorized=True, paired=False, method="percentile",
                confidence_level=confidence, rng=rng,
            ).bootstrap_distribution
    else:
        distribution = statistic()
    return _interval(distribution, confidence)


def _interval(
    distribution: Any, confidence: float
) -> tuple[list[float | None], list[float | None]]:
    """Percentile interval of each row of the bootstrap distribution over its defined
    (non-NaN) resamples; None where none is defined."""
    tail = 100 * (1 - confidence) / 2
    lows: list[float | None] = []
    highs: list[float | None] = []
    for row in distribution:
        finite = row[~np.isnan(row)]
        if not len(finite):
            lows.append(None)
            highs.append(None)
            continue
        low, high = np.percentile(finite, [tail, 100 - tail])
        lows.append(float(low))
        highs.append(float(high))
    return lows, highs


def _point(num: Any, den: Any) -> list[float | None]:
    values = _ratio(num.sum(axis=0), den.sum(axis=0))
    return [None if np.isnan(v) else float(v) for v in values]


# ----------------------------------------------------------------------------- compare


def _compare_pair(
    rows_a: Rows, rows_b: Rows, metrics: Sequence[str], resamples: int, seed: int,
    confidence: float,
) -> list[dict[str, Any]]:
    """One row per metric for one (system A, system B) pair, without the system names."""
    rng = np.random.default_rng(seed)
    paired = sorted(set(rows_a) & set(rows_b))
    base = {"n_a": len(rows_a), "n_b": len(rows_b), "n_paired": len(paired)}
    if paired:
        num_a, den_a = _matrices([rows_a[s] for s in paired], metrics)
        num_b, den_b = _matrices([rows_b[s] for s in paired], metrics)
        sizes = [len(paired)]  # one sample of scenarios: A and B share every resample

        def diffs(*counts: Any) -> Any:
            (drawn,) = counts
            return _boot(drawn, num_b, den_b) - _boot(drawn, num_a, den_a)

        method = "paired"
    elif rows_a and rows_b:
        num_a, den_a = _matrices(list(rows_a.values()), metrics)
        num_b, den_b = _matrices(list(rows_b.values()), metrics)
        sizes = [len(rows_a), len(rows_b)]  # A is drawn first, then B

        def diffs(*counts: Any) -> Any:
            counts_a, counts_b = counts
            return _boot(counts_b, num_b, den_b) - _boot(counts_a, num_a, den_a)

        method = "unpaired"
    else:
        return [{"metric": m, **base, "mean_a": None, "mean_b": None, "diff": None,
                 "ci_low": None, "ci_high": None, "method": "none"} for m in metrics]
    means_a, means_b = _point(num_a, den_a), _point(num_b, den_b)
    lows, highs = _bootstrap(sizes, diffs, resamples, confidence, rng)
    return [
        {
            "metric": metric, **base, "mean_a": a, "mean_b": b,
            "diff": None if a is None or b is None else b - a,
            "ci_low": low, "ci_high": high, "method": method,
        }
        for metric, a, b, low, high in zip(metrics, means_a, means_b, lows, highs, strict=True)
    ]


def _system_pairs(
    records_a: Sequence[DialogueRecord], records_b: Sequence[DialogueRecord],
    system_a: str | None, system_b: str | None,
) -> list[tuple[str, str]]:
    if system_a is None and system_b is None:
        in_b = set(systems_in_order(records_b))
        return [(s, s) for s in systems_in_order(records_a) if s in in_b]
    a = system_a if system_a is not None else system_b
    b = system_b if system_b is not None else system_a
    assert a is not None and b is not None
    for name, records, side in ((a, records_a, "A"), (b, records_b, "B")):
        if name not in systems_in_order(records):
            known = ", ".join(systems_in_order(records))
            raise ValueError(f"no system {name!r} in run {side} (it has: {known})")
    return [(a, b)]


def compare_runs(
    records_a: Sequence[DialogueRecord],
    records_b: Sequence[DialogueRecord],
    *,
    metrics: Sequence[str] = DEFAULT_COMPARE_METRICS,
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
    system_a: str | None = None,
    system_b: str | None = None,
) -> list[dict[str, Any]]:
    """B − A for each compared system pair and metric, with a bootstrap percentile interval.

    Each row: system_a, system_b, metric, mean_a, mean_b, diff, ci_low, ci_high, n_paired,
    n_a, n_b, method ('paired', 'unpaired' or 'none' when a side has no scored dialogue),
    confidence, resamples, seed. Without `system_a` / `system_b`, every system present in both
    runs is compared with itself; with one of them, that system on both sides.
    """
    unknown = [m for m in metrics if m not in SYSTEM_METRICS]
    if unknown:
        raise ValueError(f"unknown metrics {unknown}; known: {sorted(SYSTEM_METRICS)}")
    if resamples < 1 or not 0 < confidence < 1:
        raise ValueError("resamples must be >= 1 and confidence in (0, 1)")
    out: list[dict[str, Any]] = []
    for name_a, name_b in _system_pairs(records_a, records_b, system_a, system_b):
        rows_a = _scored_by_scenario(records_a, name_a)
        rows_b = _scored_by_scenario(records_b, name_b)
        for row in _compare_pair(rows_a, rows_b, metrics, resamples, seed, confidence):
            out.append({"system_a": name_a, "system_b": name_b, **row,
                        "confidence": confidence, "resamples": resamples, "seed": seed})
    return out


# ----------------------------------------------------------------------------- tables


def _num(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.4f}" if abs(value) < 10 else f"{value:,.1f}"


def _excludes_zero(row: dict[str, Any]) -> bool:
    low, high = row["ci_low"], row["ci_high"]
    return low is not None and high is not None and (low > 0 or high < 0)


def compare_table(rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """(headers, string rows) for markdown or a rich Table; '*' marks an interval without 0."""
    table = []
    for row in rows:
        system = row["system_a"] if row["system_a"] == row["system_b"] else (
            f"{row['system_a']} → {row['system_b']}")
        ci = f"[{_num(row['ci_low'])}, {_num(row['ci_high'])}]"
        diff = _num(row["diff"]) + (" *" if _excludes_zero(row) else "")
        n = str(row["n_paired"]) if row["method"] == "paired" else f"{row['n_a']}/{row['n_b']}"
        table.append([system, row["metric"], _num(row["mean_a"]), _num(row["mean_b"]), diff,
                      ci, n, row["method"]])
    return list(COLUMNS), table


def compare_markdown(
    rows: Sequence[dict[str, Any]], *, label_a: str = "A", label_b: str = "B"
) -> str:
    """A markdown table of `compare_runs` rows, with a line naming A, B and the protocol."""
    headers, table = compare_table(rows)
    header_line = ""
    if rows:
        first = rows[0]
        header_line = (
            f"A = {label_a}, B = {label_b}; B − A with a {first['confidence']:.0%} bootstrap "
            f"percentile interval ({first['resamples']:,} resamples, seed {first['seed']}); "
            "n = paired scenarios (or A/B dialogues when unpaired); * = interval excludes 0.\n\n"
        )
    return header_line + markdown_table(headers, table)


def compare_rich_table(rows: Sequence[dict[str, Any]], *, title: str | None = None) -> Any:
    """The same table as a rich Table, for the CLI."""
    from rich.table import Table  # deferred: rich's table takes ~0.2 s to import

    headers, table = compare_table(rows)
    out = Table(title=title)
    for header in headers:
        out.add_column(header, justify="left" if header in ("system", "metric", "method")
                       else "right")
    for row in table:
        out.add_row(*row)
    return out
