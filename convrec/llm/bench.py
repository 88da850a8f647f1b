"""Figures for the local LLM (`convrec llm bench`): conversion and load time, decoding speed
for each dtype and thread count, first-token latency, and score_options latency.

The machine's load average is recorded before and after: on a shared machine the figures
move with what else runs.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from convrec.config import Settings
from convrec.llm.embedded import EMBEDDED_MODEL, convert_gguf, embedded_gguf, ensure_embedded
from convrec.llm.local import LocalLlm
from convrec.llm.torch_runtime import resolve_dtype
from convrec.llm.types import Message
from convrec.prompts import load_prompt

ProgressLines = Callable[[str], None]
"""Called with each line of the benchmark's report as it is measured (the CLI prints them).
Not the common convrec.progress.Progress: it reports results as text, not counts of a stage."""

# The prompt (convrec/prompts/bench_*.txt): a ~300-token system prompt with the agent's kind of
# instructions, and a request; bench_speed.txt asks for a long reply. The options scored are
# JSON tool plans of 36-39 tokens.
OPTION_TEMPLATE = (
    '{{"tool": "search", "args": {{"query": "{q}", "genres": ["{g}"], "max_runtime": {r}}}}}'
)
OPTION_FILLS = [
    ("funny science fiction", "Comedy", 120, 1980),
    ("light space adventure", "Adventure", 110, 1985),
    ("comedy with aliens", "Comedy", 115, 1990),
    ("heist comedy", "Crime", 105, 1988),
    ("buddy cop comedy", "Action", 118, 1987),
    ("romantic comedy", "Romance", 100, 1993),
    ("family fantasy film", "Fantasy", 112, 1984),
    ("time travel comedy", "Science Fiction", 116, 1989),
    ("satire of the future", "Comedy", 108, 1997),
    ("monster comedy without gore", "Comedy", 107, 1984),
]


def messages() -> list[Message]:
    return [
        {"role": "system", "content": load_prompt("bench_system")},
        {"role": "user", "content": load_prompt("bench_user")},
    ]


def options() -> list[str]:
    return [OPTION_TEMPLATE.format(q=q, g=g, r=r) for q, g, r, _ in OPTION_FILLS]


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


FRESH_LOAD = """
import sys, time
start = time.perf_counter()
import torch, transformers
from transformers import AutoModelForCausalLM, AutoTokenizer
from convrec.llm.local import LocalLlm
imported = time.perf_counter()
LocalLlm(sys.argv[1], dtype=sys.argv[2])
print(imported - start, time.perf_counter() - imported)
"""


def fresh_process_load(folder: Path, dtype: str) -> dict[str, float]:
    """Seconds to import torch and transformers, then to load the cached model, in a new
    Python process (what a CLI command or a server start pays)."""
    out = subprocess.run(
        [sys.executable, "-c", FRESH_LOAD, str(folder), dtype],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout.split()
    return {"import_s": round(float(out[-2]), 2), "load_s": round(float(out[-1]), 2)}


def _time_repeat(
    llm: Any, prompt: list[Message], opts: list[str], tokens: int
) -> tuple[float | None, float, float, float]:
    """One repeat: (decode tokens/s or None, first-token seconds, scoring seconds, scoring
    seconds with the prompt's KV cache reused). The prefix cache is cleared before each
    timing that must start cold."""

    def clear_prefix() -> None:
        if llm._prefix is not None:
            llm._prefix.clear()

    clear_prefix()
    count, first = 0, None
    text = ""
    for delta in llm.stream(
        [{"role": "user", "content": load_prompt("bench_speed")}], max_tokens=tokens
    ):
        if first is None:
            first = time.perf_counter()
        text += delta
    end = time.perf_counter()
    count = llm.count_tokens(text)
    speed = (count - 1) / max(end - first, 1e-6) if first is not None and count > 1 else None
    clear_prefix()
    start = time.perf_counter()
    for _delta in llm.stream(prompt, max_tokens=1):
        break
    first_token = time.perf_counter() - start
    clear_prefix()
    start = time.perf_counter()
    llm.score_options(prompt, opts)
    scoring = time.perf_counter() - start
    start = time.perf_counter()  # again: the prompt's KV cache is reused
    llm.score_options(prompt, opts)
    return speed, first_token, scoring, time.perf_counter() - start


def run_llm_bench(
    settings: Settings,
    *,
    repeats: int = 3,
    tokens: int = 64,
    conversion: bool = True,
    dtypes: tuple[str, ...] = ("float32", "bfloat16"),
    threads: tuple[int, ...] = (1, 2),
    progress: ProgressLines | None = None,
) -> dict[str, Any]:
    say = progress or (lambda line: None)
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.processor() or ''}",
        "load_average_before": _load(),
        "repeats": repeats,
        "auto_dtype": str(resolve_dtype("auto")).split(".")[-1],
    }
    if conversion:
        say("timing a fresh GGUF conversion ...")
        with tempfile.TemporaryDirectory(prefix="convrec-llm-bench-") as tmp:
            start = time.perf_counter()
            convert_gguf(embedded_gguf(), Path(tmp) / EMBEDDED_MODEL)
            results["conversion_s"] = round(time.perf_counter() - start, 1)
    folder = ensure_embedded(settings.llm_cache)
    prompt = messages()
    opts = options()
    runs: list[dict[str, Any]] = []
    results["fresh_process"] = {}
    for dtype in dtypes:
        say(f"loading the cached model ({dtype}) in a fresh process ...")
        results["fresh_process"][dtype] = fresh_process_load(folder, dtype)
    for dtype in dtypes:
        llm = LocalLlm(folder, label=EMBEDDED_MODEL, dtype=dtype, threads=threads[0])
        load_s = round(llm.load_seconds, 2)
        prompt_tokens = len(llm.prompt_ids(prompt))
        option_tokens = [llm.count_tokens(o) + 1 for o in opts]
        llm.complete(prompt, max_tokens=4)  # warm-up
        for n in threads:
            llm.threads_setting = n
            say(f"{dtype}, {n} thread(s) ...")
            speeds, first_token, scoring, scoring_warm = [], [], [], []
            for _ in range(repeats):
                speed, first_s, score_s, score_warm_s = _time_repeat(llm, prompt, opts, tokens)
                if speed is not None:
                    speeds.append(speed)
                first_token.append(first_s)
                scoring.append(score_s)
                scoring_warm.append(score_warm_s)
            runs.append(
                {
                    "dtype": dtype,
                    "threads": n,
                    "load_s": load_s,
                    "decode_tok_s": round(statistics.median(speeds), 1) if speeds else None,
                    "first_token_s": _median(first_token),
                    "score10_s": _median(scoring),
                    "score10_cached_prompt_s": _median(scoring_warm),
                }
            )
        results["prompt_tokens"] = prompt_tokens
        results["option_tokens"] = option_tokens
        del llm
    results["runs"] = runs
    results["load_average_after"] = _load()
    return results


def bench_markdown(results: dict[str, Any]) -> str:
    lines = [
        f"Machine: {results['machine']}; load average before {results['load_average_before']}, "
        f"after {results['load_average_after']}; medians of {results['repeats']} runs.",
        "",
    ]
    if "conversion_s" in results:
        lines.append(f"- GGUF -> HF conversion: {results['conversion_s']} s")
    for dtype, fresh in results.get("fresh_process", {}).items():
        lines.append(
            f"- fresh process, {dtype}: import torch + transformers {fresh['import_s']} s, "
            f"then load from the cache "
            f"{fresh['load_s']} s"
        )
    lines += [
        f"- score prompt: {results.get('prompt_tokens')} tokens; 10 options of "
        f"{min(results.get('option_tokens') or [0])}-{max(results.get('option_tokens') or [0])}"
        " tokens (with the end-of-turn token)",
        f"- dtype chosen by `CONVREC_LLM_DTYPE=auto` here: {results['auto_dtype']}",
        "",
        "| dtype | threads | load, warm process (s) | decode (tok/s) "
        "| first token, ~300-token prompt (s) | score 10 options (s) "
        "| same, prompt KV cached (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in results["runs"]:
        lines.append(
            f"| {run['dtype']} | {run['threads']} | {run['load_s']} | {run['decode_tok_s']} | "
            f"{run['first_token_s']} | {run['score10_s']} | {run['score10_cached_prompt_s']} |"
        )
    return "\n".join(lines)
