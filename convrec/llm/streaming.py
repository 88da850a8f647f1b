"""Streams of text deltas: cancelling one from several events, and cutting one at the first
stop string."""

from __future__ import annotations

from collections.abc import Sequence

from convrec.llm.types import CancelToken


class AnyEvent:
    """Set when any of its events is set (None entries are ignored)."""

    def __init__(self, *events: CancelToken | None) -> None:
        self._events = [e for e in events if e is not None]

    def is_set(self) -> bool:
        return any(e.is_set() for e in self._events)


class StopMatcher:
    """Cuts a stream of text deltas at the first stop string, holding back partial matches."""

    def __init__(self, stop: Sequence[str] | None) -> None:
        self.stop = [s for s in (stop or ()) if s]
        self._held = ""
        self.stopped = False

    def feed(self, delta: str) -> str:
        """The part of `delta` that can be emitted now."""
        if not self.stop:
            return delta
        text = self._held + delta
        hits = [i for i in (text.find(s) for s in self.stop) if i >= 0]
        if hits:
            self.stopped = True
            self._held = ""
            return text[: min(hits)]
        keep = 0  # longest tail of text that is a prefix of some stop string
        for s in self.stop:
            for n in range(min(len(s) - 1, len(text)), 0, -1):
                if text.endswith(s[:n]):
                    keep = max(keep, n)
                    break
        self._held = text[len(text) - keep :] if keep else ""
        return text[: len(text) - keep]

    def flush(self) -> str:
        held, self._held = self._held, ""
        return held


def cut_at_stop(text: str, stop: Sequence[str] | None) -> str:
    matcher = StopMatcher(stop)
    out = matcher.feed(text)
    return out if matcher.stopped else out + matcher.flush()
