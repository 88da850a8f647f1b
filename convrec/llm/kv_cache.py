"""KV caches of the local model: transformers' DynamicCache built from (key, value) pairs, and
`PrefixCache`, the caches of a few recent prompts, so a prompt that shares a prefix with one of
them skips recomputing it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch


def common_prefix(a: Sequence[int], b: Sequence[int], limit: int) -> int:
    """How many leading tokens `a` and `b` share (at most `limit`)."""
    n = min(len(a), len(b), limit)
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


KV = list[tuple["torch.Tensor", "torch.Tensor"]]


class PrefixCache:
    """The KV caches of a few recent prompts, to skip recomputing a shared prefix."""

    MIN_REUSE = 16  # shorter shared prefixes are not worth the bookkeeping

    def __init__(self, max_entries: int = 4, max_tokens: int = 4096) -> None:
        self.max_entries = max_entries
        self.max_tokens = max_tokens
        self._entries: list[tuple[list[int], KV]] = []

    def lookup(self, ids: Sequence[int], max_len: int) -> tuple[int, KV | None]:
        """(n, kv): the KV of the first n tokens of `ids` (n <= max_len), or (0, None)."""
        best_n, best = 0, -1
        for i, (cached, _) in enumerate(self._entries):
            n = common_prefix(cached, ids, max_len)
            if n > best_n:
                best_n, best = n, i
        if best < 0 or best_n < self.MIN_REUSE:
            return 0, None
        entry = self._entries.pop(best)
        self._entries.append(entry)  # most recently used last
        return best_n, [(k[..., :best_n, :], v[..., :best_n, :]) for k, v in entry[1]]

    def add(self, ids: Sequence[int], kv: KV) -> None:
        n = len(ids)
        if n < self.MIN_REUSE or n > self.max_tokens or kv[0][0].shape[-2] < n:
            return
        ids = list(ids)
        self._entries = [
            (cached, c) for cached, c in self._entries if cached != ids[: len(cached)]
        ]  # drop entries this one extends
        self._entries.append((ids, [(k[..., :n, :].clone(), v[..., :n, :].clone()) for k, v in kv]))
        del self._entries[: -self.max_entries]

    def clear(self) -> None:
        self._entries.clear()


def kv_of(cache: Any) -> KV:
    """The (key, value) pairs of each layer of a transformers cache."""
    return [(layer[0], layer[1]) for layer in cache]


def plain_kv_cache(config: Any) -> bool:
    """Whether every layer of a model with this config keeps a plain growing KV cache (so
    prefixes can be cut out of it)."""
    try:
        # deferred: transformers' cache utils import torch (~8 s)
        from transformers.cache_utils import DynamicCache, DynamicLayer

        cache = DynamicCache(config=config)
        return bool(cache.layers) and all(type(x) is DynamicLayer for x in cache.layers)
    except Exception:
        return False


def new_cache(config: Any, kv: KV | None) -> Any:
    """A DynamicCache for a model with this config: empty, or holding `kv`."""
    # deferred: transformers' cache utils import torch (~8 s)
    from transformers.cache_utils import DynamicCache

    if kv is None:
        return DynamicCache(config=config)
    return DynamicCache(ddp_cache_data=kv, config=config)
