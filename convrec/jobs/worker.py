"""`python -m convrec.jobs.worker JOB_DIR --parent PID`: run one job in this process.

The server starts it in a session of its own (so a stop can end it and the processes it
spawns together). It reads job.json and settings.json, runs the task and writes status.json
as it goes. If the server that started it goes away, it marks the job interrupted and ends:
a job never outlives its server unseen, and what it wrote so far stays in its run folder.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import traceback
from pathlib import Path

from convrec.config import Settings
from convrec.errors import ConvrecError
from convrec.jobs.reporter import JobStopped, Reporter
from convrec.jobs.store import SETTINGS, Status, open_job_store, read_json
from convrec.jobs.tasks import task
from convrec.redact import install

INTERRUPTED = "the server stopped while this job ran; its partial outputs are kept"


def _watch_parent(parent: int, reporter: Reporter) -> None:
    """End the job (and its process group) when the server that started it is gone."""
    def watch() -> None:
        while True:
            if os.getppid() != parent:
                reporter.finish("interrupted", error=INTERRUPTED)
                os.killpg(os.getpgrp(), signal.SIGKILL)
            threading.Event().wait(1.0)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m convrec.jobs.worker")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--parent", type=int, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    folder = args.folder.resolve()
    try:  # the record is in job.json, or in the sessions' database (CONVREC_SESSIONS_URL)
        settings = Settings.model_validate(read_json(folder / SETTINGS) or {})
        store = open_job_store(settings, folder.parent)
        job = store.load(folder.name)
        store.close()
    except (ConvrecError, ValueError) as exc:
        print(f"cannot read job {folder.name}: {exc}", file=sys.stderr)
        return 2
    if job is None:
        print(f"no job in {folder}", file=sys.stderr)
        return 2
    reporter = Reporter(folder, Status(state="running", pid=os.getpid()))
    reporter.write()
    if args.parent is not None:
        _watch_parent(args.parent, reporter)
    signal.signal(signal.SIGTERM, _terminated)
    try:
        install(settings)  # secrets never reach log.txt
        chosen = task(job.kind)
        print(f"job {job.id}: {job.title}\nsame as: {chosen.command(job)}", flush=True)
        result = chosen.run(job, settings, reporter)
    except JobStopped:
        reporter.finish("stopped", error="stopped on request; what it wrote so far is kept")
        return 0
    except ConvrecError as exc:
        reporter.finish("failed", error=" ".join(str(exc).split())[:500])
        return 1
    except SystemExit as exc:
        reporter.finish("stopped", error="ended by a signal; what it wrote so far is kept")
        return int(exc.code or 1)
    except BaseException as exc:
        traceback.print_exc()
        reporter.finish("failed", error=f"{type(exc).__name__}: "
                                        f"{' '.join(str(exc).split())[:400]}")
        return 1
    reporter.finish("done", result=result)
    print(f"job {job.id}: done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
