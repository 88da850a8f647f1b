"""The LLM layer stands below the agent: dependencies point one way (catalog -> tools -> llm ->
agent -> eval -> rl -> jobs -> ui, cli beside), so nothing in `convrec.llm` imports a layer
above it, at import time or lazily inside a function, and its modules import each other
without cycles."""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import convrec.llm
from tests.fresh_process import run_fresh

PACKAGE = "convrec.llm"
FOLDER = Path(convrec.llm.__file__).parent
ABOVE = ("convrec.agent", "convrec.eval", "convrec.rl", "convrec.jobs", "convrec.ui",
         "convrec.cli")
MAX_LINES = 400


def modules() -> list[str]:
    found = sorted(f"{PACKAGE}.{m.name}" for m in pkgutil.iter_modules([str(FOLDER)]))
    return [PACKAGE, *found]


def source(module: str) -> Path:
    if module == PACKAGE:
        return FOLDER / "__init__.py"
    return FOLDER / f"{module.rsplit('.', 1)[1]}.py"


def imported(module: str) -> set[str]:
    """Every module `module` imports anywhere in its source (top level, inside functions,
    under TYPE_CHECKING), named absolutely; `from pkg import name` counts `pkg.name` when
    that is a module of this package."""
    tree = ast.parse(source(module).read_text())
    package = module if module == PACKAGE else module.rsplit(".", 1)[0]
    ours = set(modules())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.add(target)
            found |= {f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in ours}
    return found


def test_every_llm_module_imports_in_a_fresh_process_without_the_layers_above():
    names = modules()
    code = (
        "import importlib, json, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    loaded = run_fresh(code)
    assert set(names) <= set(loaded)
    above = [m for m in loaded if m.startswith(tuple(f"{a}." for a in ABOVE)) or m in ABOVE]
    assert not above, f"importing convrec.llm pulled in {above}"


def test_no_llm_module_imports_a_layer_above_even_lazily():
    offenders = {
        module: sorted(t for t in imported(module) if t in ABOVE or t.startswith(
            tuple(f"{a}." for a in ABOVE)))
        for module in modules()
    }
    assert not {m: t for m, t in offenders.items() if t}


def test_llm_modules_import_each_other_without_cycles():
    ours = set(modules())
    graph = {m: sorted(t for t in imported(m) if t in ours and t != m) for m in ours}
    state: dict[str, str] = {}  # "open" while on the path, "done" once explored
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == "open":
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = "done"
        return None

    for start in sorted(ours):
        if start not in state and (cycle := visit(start)):
            raise AssertionError("import cycle: " + " -> ".join(cycle))


def test_the_cycle_finder_sees_imports_inside_functions():
    """The static checks above read lazy imports too (they are how backends load)."""
    assert "convrec.llm.local" in imported("convrec.llm.factory")
    assert "convrec.llm.json_output" in imported("convrec.llm.base")


def test_no_llm_module_is_over_400_lines():
    long = {m: n for m in modules() if (n := len(source(m).read_text().splitlines())) > MAX_LINES}
    assert not long, f"split these modules (one job each): {long}"
