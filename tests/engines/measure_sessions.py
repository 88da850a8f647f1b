"""Turn latency with the sessions in SQLite (one replica) and in PostgreSQL (one replica, and
two replicas taking turns on the same threads), through the app's /turn API.

    TESTS_PREBUILT_HOME=/work/home python -m tests.engines.measure_sessions [--turns 20] [--json]

Starts Debian's PostgreSQL (tests/harness/postgres.py) and `convrec ui --backend none`
processes (tests/harness/app_process.py) on loopback over the prebuilt catalog and indexes,
plays the same script in each setup (threads of five turns; one warm-up turn not counted)
and prints p50 / p95 / mean of the client's wall time and of the agent's own `total`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.harness.app_process import AppProcess, real_app_env
from tests.harness.postgres import PostgresServer, find_bin_dir

OPENERS = ["a comedy from the 90s, nothing with Adam Sandler", "a heist film",
           "a sci-fi film from the 80s", "a romantic drama set in Paris",
           "an animated film for kids", "a western with Clint Eastwood"]
FOLLOW_UPS = ["more please", "something darker", "any others?", "shorter ones"]


def script(turns: int) -> list[tuple[int, str]]:
    """(thread number, message) for `turns` turns: threads of 1 opener + 4 follow-ups."""
    out: list[tuple[int, str]] = []
    thread = 0
    while len(out) < turns:
        out.append((thread, OPENERS[thread % len(OPENERS)]))
        out.extend((thread, f) for f in FOLLOW_UPS)
        thread += 1
    return out[:turns]


def play(apps: list[AppProcess], turns: int) -> dict[str, Any]:
    clients = [app.client() for app in apps]
    clients[0].predict("a film", "", "", api_name="/turn")  # warm-up, not counted
    threads: dict[int, str] = {}
    wall: list[float] = []
    agent: list[float] = []
    for n, (thread, message) in enumerate(script(turns)):
        client = clients[n % len(clients)]  # replicas take turns on the same threads
        started = time.perf_counter()
        result = client.predict(message, threads.get(thread, ""), "", api_name="/turn")
        wall.append((time.perf_counter() - started) * 1000)
        agent.append(float(result["timings_ms"]["total"]))
        threads[thread] = result["thread_id"]
    return {"turns": len(wall), "wall_ms": summary(wall), "agent_ms": summary(agent)}


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50": round(statistics.median(ordered), 1),
            "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
            "mean": round(statistics.fmean(ordered), 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.engines.measure_sessions")
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    home = os.environ.get("TESTS_PREBUILT_HOME")
    if not home:
        print("set TESTS_PREBUILT_HOME to a home with catalog.sqlite and index/", file=sys.stderr)
        return 2
    bin_dir = find_bin_dir()
    if bin_dir is None:
        print("PostgreSQL not found: apt-get install postgresql", file=sys.stderr)
        return 2
    catalog, index = Path(home) / "catalog.sqlite", Path(home) / "index"
    root = Path(tempfile.mkdtemp(prefix="convrec-measure-"))
    server = PostgresServer(bin_dir).init()
    server.start()
    results: dict[str, Any] = {}
    try:
        setups = {"sqlite, 1 replica": [{}],
                  "postgres, 1 replica": [{"CONVREC_SESSIONS_URL": server.new_database()}]}
        shared = server.new_database()
        setups["postgres, 2 replicas alternating"] = [{"CONVREC_SESSIONS_URL": shared}] * 2
        for name, extras in setups.items():
            apps = [AppProcess(real_app_env(root / f"{name[:6]}-{i}", catalog=catalog,
                                            index_dir=index, **extra),
                               root / f"{name[:6]}-{i}.log") for i, extra in enumerate(extras)]
            try:
                for app in apps:
                    app.start()
                results[name] = play(apps, args.turns)
            finally:
                for app in apps:
                    app.stop()
            print(f"{name}: {results[name]}", file=sys.stderr)
    finally:
        server.remove()
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print("| sessions | turns | wall p50 / p95 / mean (ms) "
              "| agent total p50 / p95 / mean (ms) |")
        print("| --- | ---: | ---: | ---: |")
        for name, r in results.items():
            w, a = r["wall_ms"], r["agent_ms"]
            print(f"| {name} | {r['turns']} | {w['p50']:.0f} / {w['p95']:.0f} / {w['mean']:.0f} "
                  f"| {a['p50']:.0f} / {a['p95']:.0f} / {a['mean']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
