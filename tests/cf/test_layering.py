"""`convrec.cf` sits between the catalog and the tools: none of its modules imports
`convrec.tools` or a layer above it, at import time or lazily inside a function."""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import convrec.cf

FOLDER = Path(convrec.cf.__file__).parent
ABOVE = ("convrec.tools", "convrec.llm", "convrec.agent", "convrec.eval", "convrec.rl",
         "convrec.jobs", "convrec.ui", "convrec.cli")


def imported(path: Path) -> set[str]:
    """Every module `path` imports anywhere in its source (absolute imports only here)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import"
            found.add(node.module or "")
    return found


def test_cf_imports_nothing_above_the_catalog():
    files = [FOLDER / "__init__.py",
             *(FOLDER / f"{m.name}.py" for m in pkgutil.iter_modules([str(FOLDER)]))]
    assert len(files) > 1
    wrong = {
        path.name: sorted(m for m in imported(path) if m.startswith(ABOVE))
        for path in files
    }
    assert {name: mods for name, mods in wrong.items() if mods} == {}
