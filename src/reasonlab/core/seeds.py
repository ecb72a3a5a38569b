"""Seeds derived from a run's seed and an item's identity, so an item's samples never depend on
which other items shared its engine call, or on where an interrupted run resumed."""

from __future__ import annotations

import hashlib


def derive_seed(seed: int, *parts: object) -> int:
    """A 31-bit seed that is a stable function of `seed` and `parts` (e.g. a problem id)."""
    key = ":".join(str(p) for p in (seed, *parts))
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") & 0x7FFFFFFF
