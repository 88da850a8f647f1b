"""`convrec bench goals`: multi-part, sequence and budget requests through the agent.

Each request of benchmarks/goals/requests.jsonl names its parts as the user meant them,
each with checks a person would make of the films (genres, era, people, language, a
runtime limit), and the plan's shape (films in all, order, budget, distinctness). A part
is satisfied when the agent gave it films and every one of them passes its checks, and
the plan's own checks hold (the budget, the order, distinctness, the count or a plain
note saying why fewer). Follow-up turns check that only the part or slot addressed
changed. Checks read the catalog, never the agent's own ledger. Turn latency is kept
for the multi-part requests and, as the single-request baseline, for each part's words
sent alone.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from convrec.catalog.records import Item
from convrec.errors import ConvrecError
from convrec.progress import Progress
from convrec.tools.context import ToolContext


class PartSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    genres_all: list[str] = Field(default_factory=list)
    genres_any: list[str] = Field(default_factory=list)
    year_from: int | None = None
    year_to: int | None = None
    people: list[str] = Field(default_factory=list)
    language: str | None = None
    runtime_max: int | None = None

    def failures(self, item: Item, tags: Collection[str] = ()) -> list[str]:
        """What `item` fails of this part; a person counts when credited or when MovieLens
        users tagged the film with the name (how the catalog knows MovieLens-only films)."""
        out = []
        genres = set(item.genres)
        if not set(self.genres_all) <= genres:
            out.append(f"genres {sorted(genres)} lack {sorted(set(self.genres_all) - genres)}")
        if self.genres_any and not genres & set(self.genres_any):
            out.append(f"genres {sorted(genres)} have none of {self.genres_any}")
        if self.year_from and (item.year or 0) < self.year_from:
            out.append(f"year {item.year} < {self.year_from}")
        if self.year_to and (item.year or 9999) > self.year_to:
            out.append(f"year {item.year} > {self.year_to}")
        names = {p.name for p in (*item.directors, *item.cast)}
        out += [f"no {p}" for p in self.people if p not in names and p.lower() not in tags]
        if self.language and item.original_language != self.language:
            out.append(f"language {item.original_language} != {self.language}")
        if self.runtime_max and (item.runtime or 9999) > self.runtime_max:
            out.append(f"runtime {item.runtime} > {self.runtime_max}")
        return out


class FollowUp(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    changed: list[int] | None = None  # exactly these slot positions change
    kept_parts: list[int] = Field(default_factory=list)  # these parts keep their films
    part_years: dict[int, tuple[int, int]] = Field(default_factory=dict)


class GoalRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    text: str
    parts: list[PartSpec]
    count: int | None = None
    order: str | None = None
    per: str | None = None
    budget: int | None = None
    distinct: str | None = None
    then: list[FollowUp] = Field(default_factory=list)


def load_requests(path: Path) -> list[GoalRequest]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConvrecError(f"cannot read {path}: {exc.strerror or exc}") from None
    out = []
    for n, line in enumerate(lines, start=1):
        if line.strip():
            try:
                out.append(GoalRequest.model_validate(json.loads(line)))
            except ValueError as exc:
                first = str(exc).splitlines()[0]
                raise ConvrecError(f"{path}:{n}: not a goal request ({first})") from None
    return out


def _plan_of(result: Any) -> dict[str, Any]:
    return (result.ledger or {}).get("goal_plan") or {}


def _groups(result: Any) -> list[list[int]]:
    """The films of each part, in the plan's order (one part when there is no plan)."""
    plan = _plan_of(result)
    if not plan:
        return [list(result.item_ids)]
    groups: list[list[int]] = [[] for _ in plan["goals"]]
    for slot in plan["slots"]:
        groups[slot["goal"]].append(slot["item_id"])
    return groups


def _decade(item: Item) -> int | None:
    return None if item.year is None else item.year // 10


def _distinct_key(item: Item, kind: str) -> object:
    if kind == "decade":
        return _decade(item)
    if kind == "director":
        return item.directors[0].name if item.directors else None
    if kind == "language":
        return item.original_language
    return None


def shape_failures(req: GoalRequest, result: Any, facts: dict[int, Item]) -> list[str]:
    """What the whole plan fails of the request's shape."""
    ids = list(result.item_ids)
    items = [facts[i] for i in ids if i in facts]
    out = []
    if len(set(ids)) != len(ids):
        out.append("a film twice")
    if req.budget is not None:
        total = sum(i.runtime or 10_000 for i in items)
        if total > req.budget:
            out.append(f"runtime {total} min over the budget of {req.budget}")
    if req.count is not None and len(ids) != req.count:
        said = "only" in result.reply or "don't go in" in result.reply
        if len(ids) > req.count or not said:
            out.append(f"{len(ids)} films, asked for {req.count}")
    if req.distinct in ("decade", "director", "language"):
        keys = [_distinct_key(i, req.distinct) for i in items]
        if None in keys or len(set(keys)) != len(keys):
            out.append(f"not each from a different {req.distinct}")
    # for genres, the films must be able to stand for different genres (a matching exists)
    if req.distinct == "genre" and not _genre_matching([set(i.genres) for i in items]):
        out.append("not each from a different genre")
    if req.order:
        key: Callable[[Item], float] = {
            "easiest": lambda i: -(i.vote_count or i.rating_count or 0),
            "oldest": lambda i: i.year or 0, "newest": lambda i: -(i.year or 0)}[req.order]
        for group in _groups(result):
            values = [key(facts[i]) for i in group if i in facts]
            if values != sorted(values):
                out.append(f"not {req.order} first")
    if req.per and not all(f"{req.per.capitalize()} {n}:" in result.reply
                           for n in range(1, len(ids) + 1)):
        out.append(f"not labelled one per {req.per}")
    return out


def _genre_matching(genres: list[set[str]]) -> bool:
    def assign(i: int, used: set[str]) -> bool:
        if i == len(genres):
            return True
        return any(assign(i + 1, used | {g}) for g in genres[i] - used)
    return assign(0, set())


def _tags(ctx: ToolContext, ids: Sequence[int]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for item_id in ids:
        rows = ctx.catalog.query("SELECT DISTINCT lower(tag) FROM tags WHERE item_id = ?",
                                 (item_id,))
        out[item_id] = {r[0] for r in rows}
    return out


def percentiles(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p95": float("nan"), "n": 0}
    arr = np.asarray(values, dtype=float)
    return {"p50": round(float(np.percentile(arr, 50)), 1),
            "p95": round(float(np.percentile(arr, 95)), 1), "n": len(values)}


def run_goals_bench(agent: Any, requests: Sequence[GoalRequest], ctx: ToolContext,
                    progress: Progress | None = None
                    ) -> dict[str, Any]:
    """Every request (and its follow-ups) through `agent`; each part checked."""
    rows = []
    compound_ms: list[float] = []
    shaped_ms: list[float] = []
    single_texts: list[str] = []
    for done, req in enumerate(requests):
        if progress is not None:
            progress("goal requests", done, len(requests))
        thread = f"goals-{uuid.uuid4().hex[:10]}"
        started = time.perf_counter()
        result = agent.turn(req.text, thread_id=thread)
        ms = (time.perf_counter() - started) * 1000
        (compound_ms if len(req.parts) > 1 else shaped_ms).append(ms)
        facts = {i.item_id: i for i in ctx.catalog.items(result.item_ids)}
        tags = _tags(ctx, result.item_ids)
        groups = _groups(result)
        plan_problems = shape_failures(req, result, facts)
        parts = []
        for n, spec in enumerate(req.parts):
            films = groups[n] if n < len(groups) and len(groups) == len(req.parts) else []
            problems = [f"{facts[i].label}: {p}" for i in films if i in facts
                        for p in spec.failures(facts[i], tags.get(i, set()))]
            if not films:
                problems.append(f"no films for part {n + 1} (the agent saw {len(groups)} "
                                f"part(s), asked {len(req.parts)})")
            parts.append({"ok": not problems and not plan_problems, "problems": problems})
        follow = _follow_ups(agent, req, thread, result, ctx)
        rows.append({"id": req.id, "text": req.text, "parts": parts, "shape": plan_problems,
                     "follow_ups": follow, "ms": round(ms, 1),
                     "reply": result.reply})
        plan = _plan_of(result)
        single_texts += [g["text"] for g in plan.get("goals", [])] if len(req.parts) > 1 else []
    single_ms = []
    for text in single_texts:
        started = time.perf_counter()
        agent.turn(text, thread_id=f"single-{uuid.uuid4().hex[:10]}")
        single_ms.append((time.perf_counter() - started) * 1000)
    return summarize(rows, compound_ms, shaped_ms, single_ms)


def _follow_ups(agent: Any, req: GoalRequest, thread: str, first: Any, ctx: ToolContext
                ) -> list[dict[str, Any]]:
    out = []
    before = first
    for step in req.then:
        after = agent.turn(step.text, thread_id=thread)
        problems = []
        old, new = _plan_of(before).get("slots", []), _plan_of(after).get("slots", [])
        if len(old) != len(new) or not new:
            problems.append(f"{len(new)} slots after, {len(old)} before")
        else:
            changed = [n for n, (a, b) in enumerate(zip(old, new, strict=True))
                       if a["item_id"] != b["item_id"]]
            if step.changed is not None and changed != step.changed:
                problems.append(f"changed slots {changed}, expected {step.changed}")
            for part in step.kept_parts:
                if [s["item_id"] for s in old if s["goal"] == part] != \
                        [s["item_id"] for s in new if s["goal"] == part]:
                    problems.append(f"part {part + 1} changed")
            years = {i.item_id: i.year for i in ctx.catalog.items([s["item_id"] for s in new])}
            for part, (low, high) in step.part_years.items():
                bad = [years[s["item_id"]] for s in new if s["goal"] == part
                       and not low <= (years[s["item_id"]] or 0) <= high]
                if bad:
                    problems.append(f"part {part + 1} years {bad} outside {low}-{high}")
        out.append({"text": step.text, "ok": not problems, "problems": problems})
        before = after
    return out


def summarize(rows: list[dict[str, Any]], compound_ms: list[float], shaped_ms: list[float],
              single_ms: list[float]) -> dict[str, Any]:
    parts = [p for r in rows for p in r["parts"]]
    follow = [f for r in rows for f in r["follow_ups"]]
    return {
        "requests": len(rows),
        "sub_goals": len(parts),
        "sub_goals_satisfied": sum(p["ok"] for p in parts),
        "requests_satisfied": sum(all(p["ok"] for p in r["parts"]) for r in rows),
        "follow_ups": len(follow),
        "follow_ups_ok": sum(f["ok"] for f in follow),
        "latency_ms": {"single": percentiles(single_ms), "compound": percentiles(compound_ms),
                       "shaped": percentiles(shaped_ms)},
        "rows": rows,
    }


def goals_markdown(results: dict[str, Any], *, backend: str, command: str, source: str,
                   max_problems: int | None = 12) -> str:
    lat = results["latency_ms"]
    share = results["sub_goals_satisfied"] / max(1, results["sub_goals"])
    lines = [
        "Protocol: every request of `" + source + "` in a fresh thread, backend `" + backend
        + "`; a sub-goal is satisfied when it got films and every film passes the part's "
        "checks (genres, era, people, language, runtime, read from the catalog) and the plan's "
        "shape holds (budget, order, distinctness, the count or a plain note saying why "
        "fewer). Follow-ups check that only the addressed part or slot changed. Latency is "
        "the whole turn; `single` sends each part's words alone.",
        "",
        f"Command: `{command}`",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| requests | {results['requests']} |",
        f"| sub-goals satisfied | {results['sub_goals_satisfied']} / {results['sub_goals']} "
        f"({share:.1%}) |",
        f"| requests fully satisfied | {results['requests_satisfied']} / "
        f"{results['requests']} |",
        f"| follow-ups that changed only their part | {results['follow_ups_ok']} / "
        f"{results['follow_ups']} |",
    ]
    for name, label in (("single", "single requests"), ("compound", "multi-part requests"),
                        ("shaped", "sequence, budget and distinct requests")):
        p = lat[name]
        lines.append(f"| turn latency, {label} (n={p['n']}) | p50 {p['p50']:.0f} ms / "
                     f"p95 {p['p95']:.0f} ms |")
    problems = [(r["id"], msg) for r in results["rows"]
                for msg in [*r["shape"], *(m for p in r["parts"] for m in p["problems"]),
                            *(f"follow-up '{f['text']}': {m}" for f in r["follow_ups"]
                              for m in f["problems"])]]
    if problems:
        lines += ["", "What failed:", ""]
        shown = problems if max_problems is None else problems[:max_problems]
        lines += [f"- `{rid}`: {msg}" for rid, msg in shown]
        if len(shown) < len(problems):
            lines.append(f"- ... and {len(problems) - len(shown)} more")
    return "\n".join(lines)
