"""Sample-efficiency metrics: unbiased pass@k and majority vote."""

from collections import Counter
from collections.abc import Hashable, Sequence

import numpy as np


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al. 2021): 1 - C(n-c, k) / C(n, k), computed stably.

    `n` samples of which `c` are correct; the chance that at least one of `k` samples drawn
    without replacement is correct.
    """
    if not 0 <= c <= n:
        raise ValueError(f"need 0 <= c <= n, got c={c}, n={n}")
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got k={k}, n={n}")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def mean_pass_at_k(correct: Sequence[Sequence[bool]], k: int) -> float:
    """pass@k averaged over problems; `correct[i]` holds the per-sample outcomes of problem i."""
    if not correct:
        raise ValueError("no problems to average over")
    return float(np.mean([pass_at_k(len(row), int(sum(row)), k) for row in correct]))


def majority_vote(answers: Sequence[Hashable | None]) -> Hashable | None:
    """Most frequent non-empty answer; ties go to the answer seen first (deterministic)."""
    counts = Counter(a for a in answers if a is not None)
    if not counts:
        return None
    best = max(counts.values())
    return next(a for a in answers if a is not None and counts[a] == best)
