"""Write benchmark results into docs/BENCHMARKS.md, each in its own marked section.

A section is delimited by `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`; writing
replaces only that section (or appends it), so every figure in the file is the
output of the command named inside its own section.
"""

from __future__ import annotations

import os
import platform
import re
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any


def machine_line() -> str:
    """The machine a figure was measured on, for the line beside it."""
    try:
        torch_version = version("torch")
    except PackageNotFoundError:
        torch_version = "absent"
    return (
        f"{os.cpu_count()} CPU cores, {platform.machine()}, Python {platform.python_version()}, "
        f"torch {torch_version}"
    )


def load_average() -> float | None:
    """The 1-minute load average (None where the platform has none): timings on a shared
    machine need it beside them."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.4f}" if abs(value) < 10 else f"{value:,.1f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def write_section(path: Path, name: str, body: str) -> None:
    """Replace (or append) the section `name` of the benchmarks file with `body`."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{body.strip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")
