"""The one progress-callback type: how a long job (a download, a build, a benchmark, a training
stage) reports how far it has got.

A leaf module beside config.py, importable by every package; it imports nothing from convrec.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

Progress: TypeAlias = Callable[[str, int, int | None], None]
"""Called as progress(stage, done, total): the stage's name (shown as a bar's description),
the units done so far, and how many there are (None when the stage does not know its size)."""
