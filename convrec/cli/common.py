"""What every CLI area shares: consoles, settings with logging set up, JSON output, progress."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from convrec.config import Settings, get_settings
from convrec.progress import Progress as StepProgress  # rich's Progress draws the bars
from convrec.redact import install

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def load_settings() -> Settings:
    """Read the settings and set up logging to stderr at their level."""
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False, show_time=False)],
        force=True,
    )

    install(settings)  # secrets never reach the log
    return settings


def settings_and_catalog() -> tuple[Settings, Any]:
    """The settings and the catalog, built first when it is missing or stale."""
    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.catalog.db import Catalog

    # deferred: convrec.catalog.ensure pulls in pandas, pyarrow, numpy, ...
    from convrec.catalog.ensure import ensure_catalog

    settings = load_settings()
    ensure_catalog(settings)
    return settings, Catalog(settings.catalog)


def comma_list(*texts: str) -> list[str]:
    """'a, b' 'c' -> ['a', 'b', 'c']: values of options that take comma-separated lists."""
    return [v.strip() for text in texts for v in text.split(",") if v.strip()]


def print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")


@contextmanager
def step_progress() -> Iterator[StepProgress]:
    """A rich progress display fed by (description, done, total) callbacks, one bar per task."""
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
        TextColumn("{task.completed:,}/{task.total}"), TimeElapsedColumn(),
        console=err_console, transient=True,
    ) as bars:
        tasks: dict[str, Any] = {}

        def update(description: str, done: int, total: int | None) -> None:
            # total None: the step does not know its size (an indeterminate bar).
            size = None if total is None else max(total, 1)
            key = description.split(":")[0]
            if key not in tasks:
                tasks[key] = bars.add_task(description, total=size)
            bars.update(tasks[key], description=description, completed=done, total=size)

        yield update
