"""The extraction benchmark as a docs/BENCHMARKS.md section (tables only; the protocol is
the docstrings of the modules that measure, quoted by reference)."""

from __future__ import annotations

from typing import Any

from convrec.eval.report import machine_line, markdown_table


def _num(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}"


def _rate(r: dict[str, Any]) -> str:
    ci = r.get("ci95")
    interval = f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""
    return f"{_num(r['rate'])}{interval} ({r['count']}/{r['n']})"


def _speed(out: dict[str, Any]) -> str:
    speed = out.get("timing", {}).get("utterances_per_second")
    return "-" if speed is None else f"{speed:,.0f}"


def extract_markdown(results: dict[str, Any], command: str, extractor: str) -> str:
    data = results["datasets"]
    parts = [
        "## Extraction: false hard constraints, slot precision / recall, film mentions, "
        "paraphrases",
        f"Command: `{command}`  \nMachine: {machine_line()}  \nExtractor: {extractor}",
        "Protocol: `convrec.eval.extraction` (false_hard: the judging rules; inspired: the "
        "genre mapping and label resolution; redial_mentions: how titles are written; suite: "
        "the pairs compared). Every real utterance is read alone from an empty ledger; "
        "intervals are 95% Wilson.",
    ]
    false_rows = [[name, out.get("utterances", out.get("messages")),
                   _rate(out["false_hard"]), _rate(out["false_hard"]["of_utterances_with_hard"]),
                   out["false_hard"]["other_hard_set"], _speed(out)]
                  for name, out in data.items() if "false_hard" in out]
    if false_rows:
        parts += ["### False hard constraints (share of utterances)", markdown_table(
            ["dataset/split", "utterances", "false rate", "of those with a hard constraint",
             "other hard set (not judged)", "utt/s"], false_rows)]
    slot_rows = []
    for name, out in data.items():
        for slot, counts in out.get("slots", {}).items():
            cov = out["coverage"][slot]
            slot_rows.append([name, slot, _num(counts["precision"]), _num(counts["recall"]),
                              _num(counts["f1"]), counts["predicted"], counts["gold"],
                              f"{cov['resolved']}/{cov['labels']}"])
    if slot_rows:
        parts += ["### INSPIRED slots (micro, seeker utterances)", markdown_table(
            ["dataset/split", "slot", "P", "R", "F1", "predicted", "gold (in catalog)",
             "labels resolved"], slot_rows)]
        unmapped = {k: v for out in data.values()
                    for k, v in out.get("unmapped_genre_labels", {}).items()}
        if unmapped:
            parts.append("Genre labels mapped to no catalog genre: "
                         + ", ".join(f"{k} ({v})" for k, v in unmapped.items()) + ".")
    mention_rows = [[name, out["messages"], out["data"]["mentions"],
                     *(_num(out["films"][k]) for k in ("precision", "recall", "f1")), _speed(out)]
                    for name, out in data.items() if "films" in out]
    if mention_rows:
        parts += ["### ReDial film mentions (seeker messages with a mention; dev = training "
                  "dialogues)", markdown_table(
                      ["dataset/split", "messages", "mentions", "P", "R", "F1", "utt/s"],
                      mention_rows)]
    suite_rows = []
    for name, out in data.items():
        if "overall" not in out:
            continue
        for cls, scores in [("all", out["overall"]), *out["classes"].items()]:
            suite_rows.append([name, cls, scores["cases"], _num(scores["precision"]),
                               _num(scores["recall"]), _num(scores["f1"]),
                               _rate(scores["exact"])])
    if suite_rows:
        parts += ["### Paraphrase suite (slot-value pairs; exact = every checked pair right)",
                  markdown_table(["dataset/split", "class", "cases", "P", "R", "F1", "exact"],
                                 suite_rows)]
    if results.get("skipped"):
        parts.append("Not measured: " + "; ".join(
            f"{k}: {v}" for k, v in results["skipped"].items()) + ".")
    return "\n\n".join(parts)
