"""Turn latency with the sessions in SQLite (one replica) and in PostgreSQL (one replica; two
replicas with every turn sent to one, the other idle; two replicas taking turns on the same
threads), through the app's /turn API.

    TESTS_PREBUILT_HOME=/work/home python -m tests.engines.measure_sessions [--turns 20] [--json]

Starts Debian's PostgreSQL (tests/harness/postgres.py) and `convrec ui --backend none`
processes (tests/harness/app_process.py) on loopback over the prebuilt catalog and indexes,
plays the same script in each setup (threads of five turns; one warm-up turn per replica,
not counted) and prints p50 / p95 / mean of the client's wall time and of the agent's own
`total`; then, in this process, the time a turn spends in the checkpointer's calls on each
store (`--store-only`: that part alone).
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


def play(apps: list[AppProcess], turns: int, *, alternate: bool = True) -> dict[str, Any]:
    clients = [app.client() for app in apps]
    for client in clients:  # a warm-up turn on each replica, not counted
        client.predict("a film", "", "", api_name="/turn")
    if not alternate:
        clients = clients[:1]  # the other replica runs, idle
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


STORE_CALLS = ("get_tuple", "list", "put", "put_writes")


def store_share(settings: Any, resources: Any, turns: int) -> dict[str, Any]:
    """In-process: the time one turn spends in the checkpointer's calls, and how many it
    makes (the same script, templates only)."""
    from convrec.agent.service import Agent

    agent = Agent(settings, resources=resources, use_llm=False)
    spent: list[float] = []
    calls = [0]
    saver = agent.checkpointer

    def timed(name: str) -> Any:
        method = getattr(saver, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            calls[0] += 1
            try:
                result = method(*args, **kwargs)
                return list(result) if name == "list" else result
            finally:
                spent[-1] += (time.perf_counter() - started) * 1000

        return call

    for name in STORE_CALLS:
        setattr(saver, name, timed(name))
    spent.append(0.0)
    agent.turn("a film", thread_id="warm-up")
    threads: dict[int, str] = {}
    per_turn: list[float] = []
    for thread, message in script(turns):
        spent[-1] = 0.0
        threads.setdefault(thread, f"measure-{thread}")
        agent.turn(message, thread_id=threads[thread])
        per_turn.append(spent[-1])
    agent.close()
    return {"store_ms": summary(per_turn), "calls_per_turn": round(calls[0] / (turns + 1), 1)}


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50": round(statistics.median(ordered), 1),
            "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
            "mean": round(statistics.fmean(ordered), 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.engines.measure_sessions")
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--store-only", action="store_true")
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
        setups["postgres, 2 replicas, all turns on one"] = [{"CONVREC_SESSIONS_URL": shared}] * 2
        setups["postgres, 2 replicas alternating"] = [{"CONVREC_SESSIONS_URL": shared}] * 2
        for name, extras in setups.items() if not args.store_only else ():
            tag = f"{len(results)}"
            apps = [AppProcess(real_app_env(root / f"{tag}-{i}", catalog=catalog,
                                            index_dir=index, **extra),
                               root / f"{tag}-{i}.log") for i, extra in enumerate(extras)]
            try:
                for app in apps:
                    app.start()
                results[name] = play(apps, args.turns, alternate="alternating" in name)
            finally:
                for app in apps:
                    app.stop()
            print(f"{name}: {results[name]}", file=sys.stderr)
        from convrec.catalog.db import Catalog
        from convrec.config import Settings
        from convrec.tools.context import Resources

        resources = Resources(Catalog(catalog), index)
        for name, url in (("sqlite", None), ("postgres", server.new_database())):
            settings = Settings(home=root / f"store-{name}", catalog_path=catalog,
                                index_dir=index, sessions_url=url)
            results[f"checkpointer in-process: {name}"] = store_share(settings, resources,
                                                                       args.turns)
            print(f"store {name}: {results[f'checkpointer in-process: {name}']}",
                  file=sys.stderr)
    finally:
        server.remove()
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print("| sessions | turns | wall p50 / p95 / mean (ms) "
              "| agent total p50 / p95 / mean (ms) |")
        print("| --- | ---: | ---: | ---: |")
        for name, r in results.items():
            if "wall_ms" not in r:
                continue
            w, a = r["wall_ms"], r["agent_ms"]
            print(f"| {name} | {r['turns']} | {w['p50']:.0f} / {w['p95']:.0f} / {w['mean']:.0f} "
                  f"| {a['p50']:.0f} / {a['p95']:.0f} / {a['mean']:.0f} |")
        print("\n| checkpointer (in-process) | calls a turn | time in them a turn p50 / p95 / "
              "mean (ms) |")
        print("| --- | ---: | ---: |")
        for name, r in results.items():
            if "store_ms" in r:
                m = r["store_ms"]
                print(f"| {name.rsplit(': ', 1)[1]} | {r['calls_per_turn']} | {m['p50']:.1f} / "
                      f"{m['p95']:.1f} / {m['mean']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
