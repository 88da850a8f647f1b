"""The house rules of the layout, checked on the source (README "Layout").

Small rooms (no module over 400 lines, no class over 300, no function over 80), no import
cycle between modules (imports inside functions counted), dependencies pointing one way
between packages, no private name imported from another package, and an import inside a
function only where it buys start-up time, saying so in a `# deferred: <why>` comment.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "convrec"
MAX_MODULE_LINES = 400
MAX_CLASS_LINES = 300
MAX_FUNCTION_LINES = 80

# Lowest first: a package may import its own modules and packages of a lower rank only.
# `cli` sits beside them all (it may import any package; none imports it).
RANKS: dict[str, float] = {
    "errors": 0.0, "progress": 0.0, "config": 0.5, "prompts": 0.5, "filecheck": 0.5,
    "redact": 0.7, "catalog": 1, "cf": 2, "tools": 3, "llm": 3, "agent": 4, "eval": 5,
    "rl": 6, "jobs": 7, "ui": 8,
}
BESIDE = "cli"
DEFERRED = "# deferred:"


@dataclass
class Module:
    name: str
    path: Path
    tree: ast.Module
    lines: int
    imports: dict[str, set[str]] = field(default_factory=dict)  # module -> names imported


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def _resolve(module: Module, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.name.split(".")
    if module.path.name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _load() -> dict[str, Module]:
    modules = {}
    for path in sorted(ROOT.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        module = Module(_name(path), path, ast.parse(text), len(text.splitlines()))
        modules[module.name] = module
    for module in modules.values():
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    module.imports.setdefault(alias.name, set())
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(module, node)
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    if sub in modules:  # `from package import module`
                        module.imports.setdefault(sub, set())
                    else:
                        module.imports.setdefault(target, set()).add(alias.name)
    return modules


MODULES = _load()


def _internal(target: str) -> str | None:
    """The convrec module an import names (a name inside it resolves to the module)."""
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def test_the_source_is_found():
    assert "convrec.agent.graph" in MODULES and len(MODULES) > 100


def test_every_internal_import_names_a_module():
    # mypy's ignore_missing_imports lets a stale path through; an import inside a function
    # would only fail when it runs
    missing = [f"{name} imports {target}" for name, module in MODULES.items()
               for target in module.imports
               if target.split(".")[0] == "convrec" and target not in MODULES]
    assert not missing, "\n".join(missing)


def test_no_module_class_or_function_is_too_long():
    too_long = [f"{m.name}: {m.lines} lines" for m in MODULES.values()
                if m.lines > MAX_MODULE_LINES]
    for module in MODULES.values():
        for node in ast.walk(module.tree):
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                limit = MAX_CLASS_LINES if isinstance(node, ast.ClassDef) else MAX_FUNCTION_LINES
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > limit:
                    too_long.append(f"{module.name}.{node.name}: {length} lines (limit {limit})")
    assert not too_long, "split these:\n" + "\n".join(too_long)


def test_no_import_cycle_between_modules():
    graph = {name: {t for target in module.imports if (t := _internal(target)) and t != name}
             for name, module in MODULES.items()}
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


def test_dependencies_point_one_way():
    wrong = []
    for name, module in MODULES.items():
        source = _package(name)
        for target in module.imports:
            found = _internal(target)
            if found is None or _package(found) in ("", source):
                continue
            to = _package(found)
            if to == BESIDE or (source != BESIDE and RANKS[to] >= RANKS[source]):
                wrong.append(f"{name} imports {found}")
    assert not wrong, "\n".join(wrong)


def test_every_package_has_a_rank():
    packages = {_package(name) for name in MODULES} - {"", BESIDE}
    assert packages <= set(RANKS), packages - set(RANKS)


def test_no_private_name_crosses_packages():
    crossing = []
    for name, module in MODULES.items():
        for target, names in module.imports.items():
            found = _internal(target)
            if found is None or _package(found) == _package(name):
                continue
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            crossing += [f"{name} imports {found}.{n}" for n in private]
    assert not crossing, "\n".join(crossing)


def test_every_package_says_what_it_is_for():
    bare = [m.name for m in MODULES.values() if m.path.name == "__init__.py"
            and len((ast.get_docstring(m.tree) or "").split()) < 25]
    assert not bare, f"a paragraph on what the room is for and what it may import: {bare}"


def test_every_import_inside_a_function_says_why_it_is_deferred():
    # module level is the default; an import inside a function (a heavy or optional library,
    # a module that would pull one into a light entry point) says why on its line or just above
    bare = []
    for module in MODULES.values():
        lines = module.path.read_text(encoding="utf-8").splitlines()
        for function in ast.walk(module.tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    line, above = lines[node.lineno - 1], lines[node.lineno - 2].strip()
                    if DEFERRED not in line and not above.startswith(DEFERRED):
                        bare.append(f"{module.path.relative_to(ROOT.parent)}:{node.lineno}: "
                                    f"{line.strip()}")
    assert not bare, (f"move these imports to module level, or say why they wait with a "
                      f"`{DEFERRED} <why>` comment:\n" + "\n".join(sorted(set(bare))))
