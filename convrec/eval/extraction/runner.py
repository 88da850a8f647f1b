"""`convrec bench extract`: runs the extractor over each dataset and counts (protocols in
the modules: inspired, redial_mentions, false_hard, suite).

Every real utterance is read on its own, from an empty ledger (turn 1): the measures are
about what one utterance makes the extractor set. Only the extractor's own time counts in
the rate (utterances per second); loading the data and comparing are left out.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from convrec.agent.understanding import Extractor
from convrec.errors import ConvrecError
from convrec.eval.extraction.adapter import fold, fresh_ledger, load_extractor
from convrec.eval.extraction.false_hard import Verdict, judge_inspired, judge_redial
from convrec.eval.extraction.inspired import (
    CORRECTED,
    catalog_people,
    load_inspired,
    load_inspired_corrected,
    resolve_title,
    unmapped_labels,
)
from convrec.eval.extraction.redial_mentions import load_mention_messages
from convrec.eval.extraction.slots import hard_of, person_matches, predicted_of
from convrec.eval.extraction.stats import SlotCounts, rate
from convrec.eval.extraction.suite import Comparison, compare, load_suite
from convrec.progress import Progress
from convrec.tools.context import ToolContext
from convrec.tools.lookup import get_title_index

DATASETS = ("inspired", "inspired-corrected", "redial-mentions", "redial-judged", "paraphrase")
SHOW = 10  # false / failed examples kept for the --json output


class Timed:
    """The extractor with a stopwatch: extractions and seconds spent in them."""

    def __init__(self, extractor: Extractor) -> None:
        self.extractor, self.calls, self.seconds = extractor, 0, 0.0

    def __call__(self, text: str, ledger: Any = None) -> Any:
        started = time.perf_counter()
        out = self.extractor.extract(text, fresh_ledger() if ledger is None else ledger)
        self.seconds += time.perf_counter() - started
        self.calls += 1
        return out

    def timing(self) -> dict[str, Any]:
        per_s = self.calls / self.seconds if self.seconds else None
        return {"extractions": self.calls, "seconds": round(self.seconds, 2),
                "utterances_per_second": None if per_s is None else round(per_s, 1)}


def _false_entry(text: str, verdict: Verdict, hard: Any) -> dict[str, Any]:
    return {"text": text, "false": verdict.false, "set": hard.described()}


def _false_summary(verdicts: Sequence[tuple[str, Verdict, Any]]) -> dict[str, Any]:
    false = [(t, v, h) for t, v, h in verdicts if v.false]
    with_hard = sum(h.any() for _, _, h in verdicts)
    kinds = Counter(f.split(" (")[0].rsplit(" ", 1)[0] if f.startswith("no ") else f.split()[0]
                    for _, v, _ in false for f in v.false)
    return {
        **rate(len(false), len(verdicts)),
        "of_utterances_with_hard": rate(len(false), with_hard),
        "utterances_with_hard": with_hard,
        "other_hard_set": sum(bool(v.other) for _, v, _ in verdicts),
        "false_by_kind": dict(kinds.most_common()),
        "examples": [_false_entry(t, v, h) for t, v, h in false[:SHOW]],
    }


def run_inspired(ctx: ToolContext, timed: Timed, split: str,
                 limit: int | None = None, *, corrected: Path | None = None) -> dict[str, Any]:
    """False hard constraints and slot P / R / F1 on INSPIRED seeker utterances, with
    INSPIRED's own labels or (`corrected`: their file) the hand-corrected ones."""
    utterances = (load_inspired(split) if corrected is None
                  else load_inspired_corrected(split, corrected))[:limit]
    index = get_title_index(ctx)
    people_known = catalog_people(ctx.catalog, {p for u in utterances for p in u.people})
    counts = {"genres": SlotCounts(), "people": SlotCounts(), "films": SlotCounts()}
    labels = Counter[str]()
    verdicts: list[tuple[str, Verdict, Any]] = []
    for u in utterances:
        extraction = timed(u.text)
        hard = hard_of(fold(fresh_ledger(), extraction.update, 1))
        verdicts.append((u.text, judge_inspired(hard, u.text, u.genre_union, u.people), hard))
        predicted = predicted_of(extraction)
        union = u.genre_union
        counts["genres"].add(len(predicted.genres), len(predicted.genres & union),
                             len(_genre_units(u)), sum(bool(unit & predicted.genres)
                                                      for unit in _genre_units(u)))
        known = [p for p in u.people if p in people_known]
        counts["people"].add(
            len(predicted.people),
            sum(any(person_matches(p, a) for a in u.people) for p in predicted.people),
            len(known), sum(any(person_matches(p, a) for p in predicted.people) for a in known))
        films = {i for i in (resolve_title(m, index) for m in u.movies) if i is not None}
        counts["films"].add(len(predicted.films), len(predicted.films & films), len(films),
                            len(predicted.films & films))
        labels.update({"genres": len(u.genre_labels), "genres_resolved": len(u.genres),
                       "people": len(u.people), "people_resolved": len(known),
                       "films": len(u.movies),
                       "films_resolved": sum(resolve_title(m, index) is not None
                                             for m in u.movies)})
    coverage = {slot: {"labels": labels[slot], "resolved": labels[f"{slot}_resolved"]}
                for slot in ("genres", "people", "films")}
    return {"utterances": len(utterances), "false_hard": _false_summary(verdicts),
            "slots": {k: v.as_dict() for k, v in counts.items()}, "coverage": coverage,
            "unmapped_genre_labels": unmapped_labels(utterances)}


def _genre_units(u: Any) -> list[frozenset[str]]:
    """Gold genre units: each genre of an all-of label, one unit per any-of label."""
    units: list[frozenset[str]] = []
    for label in u.genres:
        units += [label.genres] if label.any_of else [frozenset([g]) for g in label.genres]
    return list(dict.fromkeys(units))


def run_judged(timed: Timed, path: Path, limit: int | None = None) -> dict[str, Any]:
    """False hard constraints on the hand-judged ReDial test messages."""
    if not path.is_file():
        raise ConvrecError(f"no judged ReDial sample at {path}")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()][:limit]
    verdicts = []
    for row in rows:
        extraction = timed(row["text"])
        hard = hard_of(fold(fresh_ledger(), extraction.update, 1))
        verdicts.append((row["text"], judge_redial(hard, row["supports"]), hard))
    return {"messages": len(rows), "false_hard": _false_summary(verdicts)}


def run_mentions(ctx: ToolContext, timed: Timed, split: str,
                 limit: int | None = None) -> dict[str, Any]:
    """Film-mention precision and recall on ReDial seeker messages (redial_mentions)."""
    messages, stats = load_mention_messages(ctx.catalog, split, limit=limit)
    counts = SlotCounts()
    misses: list[dict[str, Any]] = []
    for m in messages:
        found = {x.item_id for x in timed(m.text).mentions}
        counts.add(len(found), len(found & m.items), len(m.items), len(found & m.items))
        if found != m.items and len(misses) < SHOW:
            misses.append({"text": m.text, "expected": sorted(m.items),
                           "found": sorted(found)})
    return {"messages": len(messages), "films": counts.as_dict(), "data": stats.__dict__,
            "examples": misses}


def run_suite(ctx: ToolContext, timed: Timed, path: Path, split: str,
              limit: int | None = None) -> dict[str, Any]:
    """The paraphrase suite's cases of one split (suite module docstring)."""
    cases = [c for c in load_suite(path) if c.split == split][:limit]
    index = get_title_index(ctx)

    def resolve(title: str) -> int | None:
        return resolve_title(title, index)

    by_class: dict[str, list[Comparison]] = {}
    failures = []
    for case in cases:
        ledger, extraction = fresh_ledger(), None
        for turn, text in enumerate(case.turns, 1):
            extraction = timed(text, ledger)
            ledger = fold(ledger, extraction.update, turn)
        result = compare(ledger, extraction, case.expect, resolve)
        by_class.setdefault(case.cls, []).append(result)
        if not result.exact:
            failures.append({"id": case.id, "class": case.cls, "turns": list(case.turns),
                             "missed": result.missed, "unexpected": result.unexpected})
    classes = {cls: _suite_scores(rs) for cls, rs in sorted(by_class.items())}
    every = [r for rs in by_class.values() for r in rs]
    return {"cases": len(cases), "overall": _suite_scores(every), "classes": classes,
            "missed_by_slot": dict(Counter(p[0] for r in every for p in r.missed).most_common()),
            "unexpected_by_slot": dict(
                Counter(p[0] for r in every for p in r.unexpected).most_common()),
            "failures": failures}


def _suite_scores(results: Sequence[Comparison]) -> dict[str, Any]:
    counts = SlotCounts()
    for r in results:
        counts.add(len(r.found) + len(r.unexpected), len(r.found),
                   len(r.found) + len(r.missed), len(r.found))
    return {"cases": len(results), "exact": rate(sum(r.exact for r in results), len(results)),
            **{k: counts.as_dict()[k] for k in ("precision", "recall", "f1")},
            "pairs": {"found": counts.found, "missed": counts.gold - counts.found,
                      "unexpected": counts.predicted - counts.correct}}



def run_extract_bench(ctx: ToolContext, datasets: Sequence[str], splits: Sequence[str], *,
                      limit: int | None = None, judged: Path, suite: Path,
                      corrected: Path = CORRECTED,
                      progress: Progress | None = None) -> dict[str, Any]:
    """Every requested dataset x split; a missing hand-made file is noted, not fatal,
    unless it was the only dataset asked for."""
    extractor = load_extractor(ctx)
    extractor.extract("hello", fresh_ledger())  # loads its vocabularies: not timed
    results: dict[str, Any] = {"datasets": {}, "skipped": {}, "limit": limit,
                               "extractor": type(extractor).__module__}
    for dataset in datasets:
        for split in splits:
            name = f"{dataset}/{split}"
            if dataset == "redial-judged" and split != "test":
                continue  # a test-split sample only
            if progress is not None:
                progress(name, 0, None)
            timed = Timed(extractor)
            try:
                if dataset.startswith("inspired"):
                    out = run_inspired(ctx, timed, split, limit,
                                       corrected=corrected if dataset == "inspired-corrected"
                                       else None)
                elif dataset == "redial-mentions":
                    out = run_mentions(ctx, timed, split, limit)
                elif dataset == "redial-judged":
                    out = run_judged(timed, judged, limit)
                else:
                    out = run_suite(ctx, timed, suite, split, limit)
            except ConvrecError as exc:
                if len(datasets) == 1:
                    raise
                results["skipped"][name] = str(exc)
                continue
            out["timing"] = timed.timing()
            results["datasets"][name] = out
            if progress is not None:
                progress(name, 1, 1)
    return results
