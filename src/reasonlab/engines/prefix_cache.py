"""A token-budgeted store of computed KV caches, looked up by longest common prefix.

The transformers engine's answer to vLLM's automatic prefix caching: after a sample finishes, the
KV of its whole sequence is kept; a later prompt that starts with (part of) that sequence reuses the
KV instead of recomputing it. Fractured sampling (many cuts of one trace) and step-level
speculative decoding (draft and target continue the same prefix) are cheap because of this.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

KV = list[tuple[torch.Tensor, torch.Tensor]]  # per layer: keys, values as [heads, seq, head_dim]


@dataclass
class _Entry:
    ids: np.ndarray
    kv: KV
    last_used: int


class PrefixCache:
    def __init__(self, max_tokens: int = 65_536):
        self.max_tokens = max_tokens
        self._entries: list[_Entry] = []
        self._clock = 0

    @property
    def num_tokens(self) -> int:
        return sum(len(e.ids) for e in self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()

    def lookup(self, prompt: list[int]) -> tuple[KV | None, int]:
        """(kv of the longest cached prefix, its length); at most len(prompt) - 1 tokens, so the
        last prompt token is always run through the model and yields next-token logits."""
        limit = len(prompt) - 1
        if limit <= 0 or not self._entries:
            return None, 0
        query = np.asarray(prompt[:limit], dtype=np.int64)
        best, best_len = None, 0
        for entry in self._entries:
            m = min(len(entry.ids), limit)
            if m <= best_len:
                continue
            diff = np.flatnonzero(entry.ids[:m] != query[:m])
            common = int(diff[0]) if diff.size else m
            if common > best_len:
                best, best_len = entry, common
        if best is None:
            return None, 0
        self._clock += 1
        best.last_used = self._clock
        return [(k[:, :best_len], v[:, :best_len]) for k, v in best.kv], best_len

    def insert(self, ids: list[int], kv: KV) -> None:
        """Keep a computed sequence; entries it extends are dropped, then least recently used ones."""
        if not ids or len(ids) > self.max_tokens:
            return
        new = np.asarray(ids, dtype=np.int64)
        kept = []
        for e in self._entries:
            if len(e.ids) <= len(new) and np.array_equal(e.ids, new[: len(e.ids)]):
                continue  # the new sequence contains this one
            kept.append(e)
            if len(e.ids) >= len(new) and np.array_equal(e.ids[: len(new)], new):
                return  # already covered by a longer entry
        self._clock += 1
        kept.append(_Entry(new, kv, self._clock))
        kept.sort(key=lambda e: e.last_used)
        total = sum(len(e.ids) for e in kept)
        while total > self.max_tokens:
            total -= len(kept.pop(0).ids)
        self._entries = kept
