"""Top-K ranking metrics as RecBole defines them, averaged over users.

`ranked` is [users, K] item indices, best first; `truth` is each user's set of held-out items.
"""

from __future__ import annotations

import numpy as np


def hits_matrix(ranked: np.ndarray, truth: list[set[int]]) -> np.ndarray:
    """[users, K] booleans: is the item at each rank one of the user's held-out items."""
    return np.array([[item in t for item in row] for row, t in zip(ranked, truth)], dtype=bool).reshape(
        ranked.shape
    )


def ranking_metrics(ranked: np.ndarray, truth: list[set[int]], ks: tuple[int, ...]) -> dict[str, float]:
    """recall@K, ndcg@K, hit@K and mrr@K for every K in `ks` (K <= ranked.shape[1])."""
    if len(truth) == 0:
        return {f"{m}@{k}": float("nan") for k in ks for m in ("recall", "ndcg", "hit", "mrr")}
    hits = hits_matrix(ranked, truth)
    sizes = np.array([len(t) for t in truth], dtype=np.float64)
    discount = 1.0 / np.log2(np.arange(2, hits.shape[1] + 2))
    out = {}
    for k in ks:
        h = hits[:, :k]
        found = h.sum(axis=1)
        dcg = (h * discount[:k]).sum(axis=1)
        ideal = np.array([discount[: int(min(s, k))].sum() for s in sizes])
        first = np.where(h.any(axis=1), h.argmax(axis=1) + 1, np.inf)
        out[f"recall@{k}"] = float(np.mean(found / sizes))
        out[f"ndcg@{k}"] = float(np.mean(dcg / ideal))
        out[f"hit@{k}"] = float(np.mean(found > 0))
        out[f"mrr@{k}"] = float(np.mean(1.0 / first))
    return out
