"""The run folders the browser app shows, read the way the CLI wrote them: simulation runs
(config.json + dialogues.jsonl), RL runs (config.yaml + stage folders), policy checkpoints
(policy.json) and ReDial reports (report.json).

Reading only; nothing here writes. Sizes are small (a run has at most a few thousand
dialogues), and what is read again on every refresh is cached by file size and mtime.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

from convrec.catalog.records import title_year
from convrec.eval.metrics import summarize
from convrec.eval.records import DialogueRecord
from convrec.eval.run_report import summary_markdown
from convrec.eval.runner import read_records
from convrec.ui.render import chat_text

MAX_DEPTH = 4
IMAGE = re.compile(r"^!\[[^\]]*\]\(([^)]+)\)\s*$", re.MULTILINE)


def _folders(root: Path, marker: str, depth: int = MAX_DEPTH) -> list[Path]:
    """Folders under `root` (at most `depth` deep) holding `marker`, newest first."""
    found: list[Path] = []
    if not root.is_dir():
        return found

    def walk(folder: Path, level: int) -> None:
        if (folder / marker).is_file():
            found.append(folder)
        if level >= depth:
            return
        try:
            children = sorted(p for p in folder.iterdir() if p.is_dir()
                              and not p.name.startswith(".") and p.name != "trainer")
        except OSError:
            return
        for child in children:
            walk(child, level + 1)

    walk(root, 0)
    return sorted(found, key=lambda p: (p / marker).stat().st_mtime, reverse=True)


def label(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def simulation_runs(root: Path) -> list[Path]:
    """Folders written by `convrec simulate` (and by `convrec rl eval`, one per policy)."""
    return [p for p in _folders(root, "config.json") if (p / "dialogues.jsonl").is_file()]


def rl_runs(root: Path) -> list[Path]:
    return [p for p in _folders(root, "config.yaml", 3) if (p / "collect").is_dir()]


def checkpoints(root: Path) -> list[Path]:
    """Policy checkpoints (a model folder with policy.json), newest first."""
    return [p for p in _folders(root, "policy.json") if (p / "config.json").is_file()]


def redial_reports(root: Path) -> list[Path]:
    return _folders(root, "report.json", 3)


def choices(paths: Sequence[Path], root: Path) -> list[tuple[str, str]]:
    return [(label(p, root), str(p)) for p in paths]


# ----------------------------------------------------------------------------- dialogues


@lru_cache(maxsize=16)
def _records(path: str, size: int, mtime: float) -> tuple[DialogueRecord, ...]:
    return tuple(read_records(Path(path)))


def records(run: Path) -> list[DialogueRecord]:
    """The dialogues of a run folder so far (a torn last line, still being written, is left
    out)."""
    path = run / "dialogues.jsonl"
    try:
        stat = path.stat()
    except OSError:
        return []
    return list(_records(str(path), stat.st_size, stat.st_mtime))


def running_metrics(run: Path) -> str:
    """The side-by-side table of every system over the dialogues finished so far."""
    found = records(run)
    if not found:
        return "No dialogue has finished yet."
    return (f"**{len(found):,} dialogues so far**\n\n"
            + summary_markdown(summarize(found)))


def dialogue_choices(found: Sequence[DialogueRecord]) -> list[tuple[str, str]]:
    """'agent:local · movielens:414:2959 · cooperative · hit at turn 2' -> 'index'."""
    out = []
    for i, r in enumerate(found):
        outcome = f"hit at turn {r.success_turn}" if r.success else f"missed ({r.ended_by})"
        out.append((f"{r.system} · {r.scenario.id} · {r.persona} · {outcome}", str(i)))
    return out


def _titles(catalog: Any, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {item.item_id: title_year(item.title, item.year)
            for item in catalog.items(list(dict.fromkeys(ids)))}


def transcript(record: DialogueRecord, catalog: Any) -> tuple[str, list[dict[str, Any]]]:
    """A dialogue as the page shows it: a header with the simulator's hidden target revealed,
    and chat messages, each system turn with its act, its films and its tool trace."""
    shown = [i for t in record.turns for i in t.item_ids]
    titles = _titles(catalog, [*record.scenario.target_ids, *record.scenario.liked_ids, *shown])
    targets = ", ".join(escape(titles.get(i, str(i))) for i in record.scenario.target_ids)
    liked = ", ".join(escape(titles.get(i, str(i))) for i in record.scenario.liked_ids[:5])
    outcome = (f"found the target at turn {record.success_turn}" if record.success
               else f"did not find it (ended by {record.ended_by.replace('_', ' ')})")
    head = [
        f'<div class="dialogue-head" data-system="{escape(record.system)}" '
        f'data-success="{str(record.success).lower()}">',
        f"<b>{escape(record.system)}</b> with a <b>{escape(record.persona)}</b> simulated user "
        f"({escape(record.simulator)}), scenario {escape(record.scenario.id)}: {outcome}.",
        f'<div class="dialogue-target">Hidden target: <b>{targets}</b></div>',
    ]
    if liked:
        head.append(f'<div class="dialogue-liked">The user liked: {liked}</div>')
    if record.leaked:
        head.append(f'<div class="status-warning">Leaked: {escape(record.leak_detail)}</div>')
    if record.error:
        head.append(f'<div class="status-error">Error: {escape(record.error)}</div>')
    head.append("</div>")
    messages: list[dict[str, Any]] = []
    for turn in record.turns:
        messages.append({"role": "user", "content": turn.user})
        lines = [f"- act: {turn.act or 'reply'}"]
        if turn.item_ids:
            films = []
            for rank, item_id in enumerate(turn.item_ids, 1):
                mark = " ← target" if item_id in record.scenario.target_ids else ""
                films.append(f"{rank}. {chat_text(str(titles.get(item_id, item_id)))}{mark}")
            lines.append("- films: " + "; ".join(films))
        if turn.violations:
            lines.append(f"- violations: {len(turn.violations)} film(s) broke a constraint")
        lines += [f"- {chat_text(line)}" for line in turn.trace]
        lines.append(f"- {turn.latency_ms:,.0f} ms")
        messages.append({"role": "assistant", "content": "\n".join(lines),
                         "metadata": {"title": f"Turn {turn.index}: {turn.act or 'reply'}"
                                               + (f", target at rank {turn.hit_rank}"
                                                  if turn.hit_rank else ""),
                                      "status": "done"}})
        messages.append({"role": "assistant", "content": chat_text(turn.reply or "(no reply)")})
    return "\n".join(head), messages


# ----------------------------------------------------------------------------- reports


def report(run: Path) -> tuple[str, list[str]]:
    """report.md without its image lines, and the plots it names (shown as images)."""
    path = run / "report.md"
    if not path.is_file():
        return f"No report in {run.name} yet: it is written when the run ends.", []
    text = path.read_text(encoding="utf-8")
    plots = [str(run / m) for m in IMAGE.findall(text) if (run / m).is_file()]
    return IMAGE.sub("", text), plots


def redial_report(folder: Path) -> str:
    path = folder / "report.md"
    return path.read_text(encoding="utf-8") if path.is_file() else ""


# ----------------------------------------------------------------------------- training


STAGE_FOLDERS = (("reward_model", "reward-model"), ("warm_start", "warm-start"),
                 ("grpo", "policy"))


def training_rows(run: Path) -> list[dict[str, Any]]:
    """Every logged training step of an RL run, each trainer's train_log.jsonl in turn."""
    from convrec.rl.monitor import read_log  # deferred: rl.monitor imports transformers

    rows = []
    for stage, folder in STAGE_FOLDERS:
        for row in read_log(run / folder):
            rows.append({**row, "stage": stage})
    return rows


REWARD_KEYS = (("reward", "reward"), ("rewards/success/mean", "success"),
               ("rewards/target_rank/mean", "target rank"), ("accuracy", "accuracy"))


def curves_figure(rows: Sequence[dict[str, Any]]) -> Any:
    """Loss by stage; GRPO's reward and the share of its samples reaching the target, and
    the reward model's accuracy; seconds a step by stage. A matplotlib Figure (no pyplot
    state: the server draws these from several threads), None before the first step."""
    if not rows:
        return None
    from matplotlib.figure import Figure  # deferred: matplotlib loads with the first plot

    fig = Figure(figsize=(12, 3.4), layout="constrained")
    loss, reward, seconds = fig.subplots(1, 3)
    stages = list(dict.fromkeys(r["stage"] for r in rows))
    for stage in stages:
        mine = [r for r in rows if r["stage"] == stage]
        name = stage.replace("_", " ")
        _line(loss, mine, "loss", name)
        _line(seconds, mine, "step_seconds", name)
        for key, label in REWARD_KEYS:
            _line(reward, mine, key, f"{name}: {label}")
    loss.set(title="Loss", xlabel="step")
    reward.set(title="Reward, success and accuracy", xlabel="step")
    seconds.set(title="Seconds a step", xlabel="step")
    for ax in (loss, reward, seconds):
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    return fig


def _line(ax: Any, rows: Sequence[dict[str, Any]], key: str, label: str) -> None:
    points = [(int(r.get("step") or 0), float(r[key])) for r in rows
              if isinstance(r.get(key), int | float) and r[key] == r[key]]
    if points:
        ax.plot(*zip(*points, strict=True), marker="o", markersize=3, label=label)


def last_step_line(rows: Sequence[dict[str, Any]]) -> str:
    """'grpo step 4: loss 0.012, reward 0.53, 9.8 s a step, peak 4,102 MiB'."""
    if not rows:
        return ""
    row = rows[-1]
    parts = [f"{row['stage'].replace('_', ' ')} step {row.get('step')}"]
    for key, name in (("loss", "loss"), ("reward", "reward"),
                      ("rewards/success/mean", "success"), ("accuracy", "accuracy")):
        if isinstance(row.get(key), int | float):
            parts.append(f"{name} {row[key]:.4g}")
    if row.get("step_seconds"):
        parts.append(f"{row['step_seconds']:.1f} s a step")
    if row.get("peak_rss_mb"):
        parts.append(f"peak {row['peak_rss_mb']:,.0f} MiB")
    return ", ".join(parts)


def policy_card(folder: Path) -> str:
    """The checkpoint's model card (README.md, front matter dropped)."""
    path = folder / "README.md"
    if not path.is_file():
        return f"No model card in {folder}."
    text = path.read_text(encoding="utf-8")
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end != -1:
            text = text[end + 4:]
    return text.strip()


def policy_summary(folder: Path) -> dict[str, Any]:
    from convrec.rl.card import read_policy_info  # deferred: the agent's policy (sklearn)

    return read_policy_info(folder) or {}


def json_file(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
