"""Run-time context of the tools.

`Resources` holds what is loaded once per process and shared read-only by every
session: the catalog and the indexes (loaded lazily, on first use, thread-safe).
`ToolContext` is per session: the shared resources plus who the user is. The
user id comes from the session, never from an LLM argument.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from convrec.catalog.db import Catalog
from convrec.config import Settings

T = TypeVar("T")


class Resources:
    def __init__(self, catalog: Catalog, index_dir: Path) -> None:
        self.catalog = catalog
        self.index_dir = Path(index_dir)
        self._loaded: dict[str, Any] = {}
        # Re-entrant: a loader may itself load resources it builds on.
        self._lock = threading.RLock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Resources:
        return cls(Catalog(settings.catalog), settings.index)

    def get(self, name: str, loader: Callable[[], T]) -> T:
        """The resource called `name`, loading it with `loader` the first time."""
        if name in self._loaded:
            return self._loaded[name]
        with self._lock:
            if name not in self._loaded:
                self._loaded[name] = loader()
            return self._loaded[name]

    def drop(self, name: str) -> None:
        """Forget a loaded resource (after its index was rebuilt)."""
        with self._lock:
            self._loaded.pop(name, None)


@dataclass(frozen=True)
class ToolContext:
    resources: Resources
    user_id: str | None = None  # 'ml:<id>' or 'critic:<name>'; None = anonymous

    @property
    def catalog(self) -> Catalog:
        return self.resources.catalog

    @property
    def index_dir(self) -> Path:
        return self.resources.index_dir

    def catalog_candidates(self, candidates: Iterable[int]) -> list[int]:
        """The candidates that are catalog items, once each, in order: a ranker scores and
        returns only these (an unknown id handed in is never handed back)."""
        ids = list(dict.fromkeys(int(i) for i in candidates))
        known = self.catalog.exists(ids)
        return [i for i in ids if i in known]
