"""The load benchmark: N concurrent simulated chat sessions through the app's HTTP API.

Protocol. For each N, N sessions (convrec/eval/load_scripts.py: distinct constraints, a
deterministic script each from the seed) each open their own `gradio_client` Client on the
app, wait for the others, then send their turns one after another to `/turn`, as fast as
the answers come; the N sessions run at once, each in its own thread. A session stops at
its first failed turn (the rest of its turns are counted as not sent). Before the first N
the app answers one untimed warm-up turn.

Measured per N: turn latency (the client's wall time of each successful `/turn` call,
queueing included) p50 / p95 / p99; turns answered per second over the whole run; errors
by kind (queue_full: the app's queue refused the request; rate_limited: the app's per-client
limit; app_error: a one-line error from the app; timeout; connection; other); the app's
resident memory before and after the N sessions (psutil, else /proc; the process group's
sum); and the isolation checks of convrec/eval/load_checks.py (cross-talk failures, ledger
mismatches, card problems), each as checks made and failed.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from convrec.errors import ConvrecError
from convrec.eval.app_launch import rss_bytes
from convrec.eval.bench_agent import WARM_UP_TURN
from convrec.eval.load_checks import (
    CROSS_TALK,
    SessionChecker,
    Tally,
    check_unique_threads,
    owners,
)
from convrec.eval.load_scripts import SessionScript, make_sessions
from convrec.eval.report import load_average, machine_line, markdown_table
from convrec.progress import Progress
from convrec.tools.context import Resources

TURN_TIMEOUT_S = 600.0

def error_kind(exc: BaseException) -> str:
    """What kind of failure a /turn call raised (see the protocol)."""
    name = type(exc).__name__
    text = str(exc).lower()
    if name == "QueueError" or "queue is full" in text:
        return "queue_full"
    if "too many messages" in text:
        return "rate_limited"
    if name == "AppError":
        return "app_error"
    if "timeout" in name.lower() or "timed out" in text:
        return "timeout"
    if "connect" in name.lower() or "connection" in text:
        return "connection"
    return "other"


def _client(url: str, timeout: float) -> Any:
    from gradio_client import Client  # deferred: gradio_client takes ~1.3 s to import

    return Client(url, verbose=False, httpx_kwargs={"timeout": timeout})


def run_sessions(url: str, scripts: list[SessionScript], resources: Resources, *,
                 pid: int | None = None, timeout: float = TURN_TIMEOUT_S,
                 progress: Progress | None = None) -> dict[str, Any]:
    """Run `scripts` at once against the app at `url`; the figures of one N."""
    tally = Tally()
    who = owners(scripts)
    checkers = [SessionChecker(s, resources, who, tally) for s in scripts]
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    messages: list[str] = []
    lock = threading.Lock()
    total = sum(len(s.messages) for s in scripts)
    done = [0]
    clients = []
    with ThreadPoolExecutor(max_workers=min(len(scripts), 16)) as pool:
        clients = list(pool.map(lambda _s: _client(url, timeout), scripts))
    start = threading.Barrier(len(scripts))

    def session(i: int) -> None:
        script, checker, client = scripts[i], checkers[i], clients[i]
        start.wait()
        for message in script.messages:
            began = time.perf_counter()
            try:
                result = client.predict(message, checker.thread_id or "", script.user_id,
                                        api_name="/turn")
            except Exception as exc:  # every failure is counted, by kind
                with lock:
                    errors[error_kind(exc)] += 1
                    errors["not_sent"] += len(script.messages) - checker.completed - 1
                    if len(messages) < 10:
                        messages.append(f"session {i}: {' '.join(str(exc).split())[:200]}")
                return
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                latencies.append(elapsed)
                done[0] += 1
                if progress is not None:
                    progress(f"{len(scripts)} sessions", done[0], total)
            checker.check(result)

    rss_before = rss_bytes(pid) if pid else None
    load_before = load_average()
    began = time.perf_counter()
    threads = [threading.Thread(target=session, args=(i,), daemon=True)
               for i in range(len(scripts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    rss_after = rss_bytes(pid) if pid else None
    for client in clients:
        with contextlib.suppress(Exception):  # a client whose app is gone already
            client.close()
    check_unique_threads(checkers, tally)
    return _figures(scripts, latencies, errors, messages, tally, wall=wall,
                    rss=(rss_before, rss_after), load_before=load_before)


def _figures(scripts: list[SessionScript], latencies: list[float], errors: Counter[str],
             messages: list[str], tally: Tally, *, wall: float,
             rss: tuple[int | None, int | None], load_before: float | None) -> dict[str, Any]:
    """The figures of one N from what its sessions recorded."""
    rss_before, rss_after = rss
    total = sum(len(s.messages) for s in scripts)
    values = np.array(latencies) if latencies else np.array([np.nan])
    sent_errors = {k: v for k, v in errors.items() if k != "not_sent"}
    cross_checks = sum(tally.checks[k] for k in CROSS_TALK)
    cross_failures = sum(tally.failures[k] for k in CROSS_TALK)
    return {
        "sessions": len(scripts), "turns_per_session": max(len(s.messages) for s in scripts),
        "turns_planned": total, "turns_answered": len(latencies),
        "latency_ms": {f"p{q}": round(float(np.percentile(values, q)), 1)
                       for q in (50, 95, 99)} | {"max": round(float(np.max(values)), 1)},
        "wall_s": round(wall, 1), "turns_per_s": round(len(latencies) / wall, 2),
        "errors": sum(sent_errors.values()), "errors_by_kind": dict(sent_errors),
        "not_sent": errors.get("not_sent", 0),
        "queue_rejections": errors.get("queue_full", 0),
        "rate_limited": errors.get("rate_limited", 0),
        "error_messages": messages,
        "rss_mb": {"before": _mb(rss_before), "after": _mb(rss_after),
                   "growth": _mb(rss_after - rss_before)
                   if rss_before is not None and rss_after is not None else None},
        "load_average": [load_before, load_average()],
        "cross_talk": {"checks": cross_checks, "failures": cross_failures},
        "ledger_mismatch": {"checks": tally.checks["ledger_mismatch"],
                            "failures": tally.failures["ledger_mismatch"]},
        "cards": {"checks": tally.checks["cards"], "failures": tally.failures["cards"]},
        "checks": dict(tally.checks), "failures": dict(tally.failures),
        "examples": tally.examples,
    }


def _mb(value: int | None) -> float | None:
    return None if value is None else round(value / 2**20, 1)


def run_load_bench(url: str, counts: list[int], resources: Resources, *, turns: int,
                   seed: int, pid: int | None = None, timeout: float = TURN_TIMEOUT_S,
                   progress: Progress | None = None) -> dict[str, Any]:
    """One run per N in `counts`, one after another, against the same app, after one
    untimed warm-up turn (the app's first answers load what it loads lazily)."""
    try:
        client = _client(url, timeout)
    except Exception as exc:  # nothing serves there, or not this app
        raise ConvrecError(f"cannot open the app at {url}: "
                           f"{' '.join(str(exc).split())[:200] or type(exc).__name__}") from None
    try:
        client.predict(WARM_UP_TURN, "", "", api_name="/turn")
    except Exception as exc:
        raise ConvrecError(f"the app at {url} did not answer a turn on /turn: "
                           f"{' '.join(str(exc).split())[:200] or type(exc).__name__}") from None
    finally:
        with contextlib.suppress(Exception):
            client.close()
    runs = []
    for n in counts:
        scripts = make_sessions(resources.catalog, n, turns=turns, seed=seed)
        runs.append(run_sessions(url, scripts, resources, pid=pid, timeout=timeout,
                                 progress=progress))
    ok = all(r["errors"] == 0 and r["cross_talk"]["failures"] == 0 for r in runs)
    return {"runs": runs, "turns": turns, "seed": seed, "ok": ok}


def load_markdown(results: dict[str, Any], *, backend: str, command: str, stack: str,
                  app: str) -> str:
    """The section of docs/reliability/load.md for one backend."""
    rows = []
    for r in results["runs"]:
        lat, rss = r["latency_ms"], r["rss_mb"]
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(r["errors_by_kind"].items())) or "-"
        rows.append([
            r["sessions"], r["turns_per_session"], f"{r['turns_answered']}/{r['turns_planned']}",
            f"{lat['p50']:.0f}", f"{lat['p95']:.0f}", f"{lat['p99']:.0f}", r["turns_per_s"],
            f"{r['errors']} ({kinds})", r["queue_rejections"],
            "-" if rss["growth"] is None else f"{rss['before']:.0f} -> {rss['after']:.0f} "
            f"(+{rss['growth']:.0f})",
            f"{r['cross_talk']['checks']:,} / {r['cross_talk']['failures']}",
            f"{r['ledger_mismatch']['failures']} / {r['cards']['failures']}",
        ])
    loads = "; ".join(f"N={r['sessions']}: {r['load_average'][0]} / {r['load_average'][1]}"
                      for r in results["runs"])
    table = markdown_table(
        ["N", "turns", "answered", "p50 ms", "p95 ms", "p99 ms", "turns/s", "errors (kind)",
         "queue rejections", "app RSS MB before -> after (growth)",
         "cross-talk checks / failures", "ledger mismatches / card problems"], rows)
    examples = [e for r in results["runs"] for e in r["examples"]][:10]
    parts = [
        f"## Load: concurrent chat sessions over the HTTP API, backend `{backend}`",
        f"Command: `{command}`  \nMachine: {machine_line()} (shared with other work: "
        f"1-minute load average before / after each N: {loads}).  \nStack: {stack}.  \n"
        f"App: {app}.",
        table,
        f"Each session sends {results['turns']} turns (seed {results['seed']}), one after "
        "another; all N sessions run at once. Latency is the client's wall time per `/turn` "
        "call, queueing included. Cross-talk checks: per turn the thread id, the turn "
        "counter, the user, the ledger's hard constraints holding no value only another "
        "session stated, the shown films all received by this session; per session a "
        "thread id no other session got. Ledger mismatches: the session's own constraints "
        "read differently (not cross-talk); card problems: a card breaking the session's "
        "own constraints, repeated, or rated before by its own user.",
    ]
    if examples:
        parts.append("First findings:\n" + "\n".join(f"- {e}" for e in examples))
    return "\n\n".join(parts)
