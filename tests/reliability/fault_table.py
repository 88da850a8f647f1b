"""The figures of docs/reliability/llm-faults.md: one turn against each faulty endpoint.

    python -m tests.reliability.fault_table [--timeout 2] [--retries 2]

Runs on the catalog and indexes of CONVREC_HOME (the real ones), the openai backend pointed
at tests/reliability/fault_endpoint.py on loopback, and prints a markdown table: the turn's
time, its LLM wait (timings_ms.llm_wait), the chat requests the endpoint received, the
reply's source and the turn's one-line note.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

try:
    from tests.reliability.fault_endpoint import MODES, fault_endpoint, free_port
except ImportError:  # copied beside this file, to measure another checkout
    from fault_endpoint import MODES, fault_endpoint, free_port  # type: ignore[no-redef]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--retries", type=int, default=2)
    args = parser.parse_args()

    from convrec.agent.service import Agent
    from convrec.config import Settings
    from convrec.llm.factory import get_llm
    from convrec.tools.context import Resources

    base = Settings()
    resources = Resources.from_settings(base)
    print(f"llm_timeout_s={args.timeout:g}, llm_max_retries={args.retries}, "
          f"budget={_budget(Settings(llm_timeout_s=args.timeout))}")
    print("\n| endpoint | turn s | LLM wait s | requests | reply | note |")
    print("|---|---|---|---|---|---|")
    with fault_endpoint() as (root, counts), tempfile.TemporaryDirectory() as tmp:
        warm = Agent(Settings(home=base.home, catalog_path=base.catalog, index_dir=base.index,
                              sessions_path=Path(tmp) / "warm.db"), resources=resources,
                     use_llm=False)
        warm.turn("a 90s comedy about friendship", thread_id="warm")  # indexes loaded
        warm.close()
        for mode in ("down", *MODES):
            url = (f"http://127.0.0.1:{free_port()}/v1" if mode == "down"
                   else f"{root}/{mode}/v1")
            settings = Settings(home=base.home, catalog_path=base.catalog,
                                index_dir=base.index, sessions_path=Path(tmp) / f"{mode}.db",
                                llm_backend="openai", llm_base_url=url, llm_model="m",
                                llm_timeout_s=args.timeout, llm_max_retries=args.retries)
            agent = Agent(settings, resources=resources, llm=get_llm(settings))
            started = time.perf_counter()
            result = agent.turn("a 90s comedy about friendship", thread_id=mode)
            took = time.perf_counter() - started
            agent.close()
            wait = result.timings_ms.get("llm_wait")
            note = next((n for n in result.notes if n.startswith("LLM endpoint")), "")
            print(f"| {mode} | {took:.1f} | {'' if wait is None else f'{wait / 1000:.1f}'} | "
                  f"{counts[mode] if mode != 'down' else '-'} | {result.reply_source} "
                  f"({len(result.item_ids)} films) | {note[:110]} |")


def _budget(settings: object) -> object:
    budget = getattr(settings, "llm_turn_budget", None)
    return budget() if callable(budget) else "none (this checkout has no turn budget)"


if __name__ == "__main__":
    main()
