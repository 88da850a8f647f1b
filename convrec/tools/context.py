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
from convrec.tools import indexes

T = TypeVar("T")


class Resources:
    def __init__(self, catalog: Catalog, index_dir: Path, *, chroma_url: str | None = None
                 ) -> None:
        self.catalog = catalog
        self.index_dir = Path(index_dir)
        # A Chroma server holding the dense index's collection; None: the embedded folder.
        self.chroma_url = chroma_url
        self._loaded: dict[str, Any] = {}
        # Re-entrant: a loader may itself load resources it builds on.
        self._lock = threading.RLock()

    @classmethod
    def from_settings(cls, settings: Settings, catalog: Catalog | None = None) -> Resources:
        """The resources the settings name (`catalog`: the settings' catalog, already open)."""
        return cls(catalog or Catalog(settings.catalog), settings.index,
                   chroma_url=settings.chroma_url)

    def get(self, name: str, loader: Callable[[], T]) -> T:
        """The resource called `name`, loading it with `loader` the first time."""
        if name in self._loaded:
            return self._loaded[name]
        with self._lock:
            if name not in self._loaded:
                if name in indexes.BUILT_FOLDERS:  # never an index whose build did not finish
                    indexes.check_finished(self.index_dir / name, name,
                                           indexes.BUILT_FOLDERS[name])
                # an index's files are checked next; a damaged one is a one-line error
                self._loaded[name] = indexes.guarded(name, self.index_dir, self.catalog, loader)
            return self._loaded[name]

    def drop(self, name: str) -> None:
        """Forget a loaded resource (after its index was rebuilt)."""
        with self._lock:
            self._loaded.pop(name, None)


@dataclass(frozen=True)
class ToolContext:
    resources: Resources
    user_id: str | None = None  # 'ml:<id>' or 'critic:<name>'; None = anonymous
    edit_scope: str | None = None  # whose profile edits apply: a login; None = the user's own

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
