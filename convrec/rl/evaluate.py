"""`convrec rl eval`: the trained policy against the starting one on held-out simulated users.

Each policy plays the same test scenarios (same personas, same simulator seeds: one
`convrec simulate` run per policy, `eval/<label>/`, with the agent on templates so the
policy is the only difference), and `convrec eval compare`'s paired bootstrap gives B - A
with a confidence interval for every metric. The comparisons are the trained policy and
the warm start each against the starting policy, and GRPO against its warm start.

Writes `eval/results.json`, `eval/compare.md`, `eval/training.png` (reward, success and
loss during training) and the results section of the policy's model card.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from convrec.config import Settings
from convrec.errors import ConvrecError
from convrec.eval.compare import compare_markdown, compare_runs
from convrec.eval.metrics import summarize
from convrec.eval.run_report import pyplot, write_report
from convrec.eval.runner import SimulationConfig, run_simulation
from convrec.progress import Progress
from convrec.rl.card import read_policy_info, write_card
from convrec.rl.config import EvalConfig, RlConfig
from convrec.rl.monitor import read_log

HEADLINE = ("success", "avg_turns", "recall@10", "violation_rate", "repeat_rate",
            "ask_recommend_ratio")

def evaluate(config: RlConfig, settings: Settings, run: Path, *,
             policies: dict[str, str] | None = None,
             progress: Progress | None = None) -> dict[str, Any]:
    """Simulate every policy, compare, plot, update the card; returns results.json's data.

    `policies` maps labels to checkpoint folders (default: the run's warm start and policy,
    those that exist); the baseline is `config.eval.baseline`."""
    ev: EvalConfig = config.eval
    if policies is None:
        policies = {label: str(run / folder) for label, folder in
                    (("warm_start", "warm-start"), ("grpo", "policy"))
                    if (run / folder / "config.json").is_file()}
    if not policies:
        raise ConvrecError(f"no trained policy in {run}: run convrec rl grpo first")
    out = run / "eval"
    everyone = {"baseline": ev.baseline, **policies}
    records: dict[str, Any] = {}
    summaries: dict[str, Any] = {}
    for label, policy in everyone.items():
        sim = SimulationConfig(scenarios=ev.scenarios, n=ev.n, systems=["agent:none"],
                               max_turns=ev.max_turns, personas=ev.personas, seed=ev.seed,
                               policy=policy)

        def tick(done: int, total: int, _: Any, label: str = label) -> None:
            if progress is not None:
                progress(label, done, total)

        records[label] = run_simulation(sim, settings, out / label, workers=ev.workers,
                                        progress=tick)
        summaries[label] = summarize(records[label])
        write_report(out / label, records[label], summaries[label],
                     title=f"RL eval: {label} ({policy})", command="convrec rl eval",
                     config=sim.to_json())
    pairs = [("baseline", label) for label in policies]
    if {"warm_start", "grpo"} <= set(policies):
        pairs.append(("warm_start", "grpo"))
    comparisons = {}
    sections = []
    for a, b in pairs:
        rows = compare_runs(records[a], records[b], metrics=HEADLINE, resamples=ev.resamples,
                            seed=ev.seed, system_a="agent:none", system_b="agent:none")
        comparisons[f"{b} - {a}"] = rows
        sections.append(f"### {b} against {a}\n\n"
                        + compare_markdown(rows, label_a=f"{a} ({everyone[a]})",
                                           label_b=f"{b} ({everyone[b]})"))
    results = {
        "policies": everyone,
        "dialogues": {label: len(r) for label, r in records.items()},
        "figures": {label: {m: s["systems"]["agent:none"].get(m) for m in HEADLINE}
                    for label, s in summaries.items() if "agent:none" in s["systems"]},
        "comparisons": comparisons,
        "config": config.to_json()["eval"],
    }
    (out / "results.json").write_text(json.dumps(results, indent=2, default=str))
    markdown = "\n\n".join(sections) + "\n"
    (out / "compare.md").write_text(markdown)
    plot_training(run, out / "training.png")
    _update_cards(config, run, policies, markdown)
    return results


def _update_cards(config: RlConfig, run: Path, policies: dict[str, str], markdown: str) -> None:
    for label, folder in policies.items():
        path = Path(folder)
        info = read_policy_info(path)
        if info is None or path.parent != run:
            continue  # a checkpoint from elsewhere keeps its own card
        write_card(path, config, run, stage=info.get("stage", label),
                   training=info.get("training"),
                   results=f"Held-out simulated users (`convrec rl eval`):\n\n{markdown}",
                   prompt_version=info.get("prompt_version", 1))


def plot_training(run: Path, path: Path) -> Path | None:
    """Reward and success of GRPO's samples by step, and the warm start's and reward model's
    losses, from the stages' train_log.jsonl."""
    grpo = [r for r in read_log(run / "policy") if "reward" in r]
    warm = [r for r in read_log(run / "warm-start") if "loss" in r]
    reward_model = [r for r in read_log(run / "reward-model") if "loss" in r]
    if not (grpo or warm or reward_model):
        return None
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    if grpo:
        steps = [r["step"] for r in grpo]
        axes[0].plot(steps, [r["reward"] for r in grpo], label="total reward")
        for name in ("outcome", "target_rank", "reward_model"):
            key = f"rewards/{name}/mean"
            if any(key in r for r in grpo):
                axes[0].plot(steps, [r.get(key) for r in grpo], label=name, alpha=0.7)
        axes[1].plot(steps, [r.get("rewards/success/mean") for r in grpo], color="C2")
    axes[0].set(title="GRPO reward of sampled choices", xlabel="step")
    axes[0].legend(fontsize=7)
    axes[1].set(title="GRPO: sampled choices reaching the target", xlabel="step",
                ylim=(0, 1.02))
    for rows, label in ((warm, "warm start (SFT)"), (reward_model, "reward model")):
        if rows:
            axes[2].plot([r["step"] for r in rows], [r["loss"] for r in rows], label=label)
    axes[2].set(title="training loss", xlabel="step")
    axes[2].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
