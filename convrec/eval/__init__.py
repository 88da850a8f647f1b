"""Simulated users, metrics, baselines, benchmarks and reports.

Everything that measures the agent: simulated users and their scenarios, the dialogue
runner and its metrics, the baselines, the ReDial benchmark (`redial*.py`), the
`convrec bench ...` benchmarks (`bench_*.py`), paired comparisons (`compare.py`) and the
run reports. It may import `agent`, `tools`, `cf`, `llm`, `catalog` and the shared
modules; never `rl`, `jobs`, `ui` or `cli`. Test splits never reach a fit, a selection or
a threshold here (`holdout.py`; tests/eval/test_simulator.py and tests/tools/test_ranking.py
guard it).
"""
