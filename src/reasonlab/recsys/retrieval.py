"""The matching stage: top-K items for user vectors by inner product, through faiss.

`ItemIndex` is what a serving system calls: exact search (IndexFlatIP) by default, IVF for large
catalogues. Items a user already has are excluded by searching deeper and filtering, so the result
is the full-ranking top-K RecBole reports, not an approximation of it.
"""

from __future__ import annotations

import numpy as np
import torch

from reasonlab.core.errors import ReasonlabError
from reasonlab.core.optional import require

INDEX_KINDS = ("flat", "ivf")


class ItemIndex:
    def __init__(self, item_vectors: np.ndarray, kind: str = "flat", nlist: int = 0, nprobe: int = 8):
        faiss = require("faiss", "recsys", "the faiss item index")
        if kind not in INDEX_KINDS:
            raise ReasonlabError(f"unknown index kind {kind!r} (one of {', '.join(INDEX_KINDS)})")
        vectors = np.ascontiguousarray(item_vectors, dtype=np.float32)
        self.n_items, dim = vectors.shape
        if kind == "flat":
            self.index = faiss.IndexFlatIP(dim)
        else:
            # faiss wants about 39 training points per centroid
            nlist = nlist or max(1, min(int(np.sqrt(self.n_items)), self.n_items // 39))
            self.index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
            self.index.train(vectors)
            self.index.nprobe = nprobe
        self.index.add(vectors)

    def search(self, user_vectors: np.ndarray, k: int, exclude: list[np.ndarray] | None = None) -> np.ndarray:
        """[users, k] item indices, best first, never an excluded item; -1 pads when fewer remain."""
        queries = np.ascontiguousarray(user_vectors, dtype=np.float32)
        depth = min(self.n_items, k + (max((len(e) for e in exclude), default=0) if exclude else 0))
        _, found = self.index.search(queries, depth)
        if not exclude:
            return found[:, :k]
        out = np.full((len(queries), k), -1, dtype=np.int64)
        for row, (items, banned) in enumerate(zip(found, exclude)):
            kept = items[(items >= 0) & ~np.isin(items, banned)][:k]
            out[row, : len(kept)] = kept
        return out


def brute_force_topk(
    user_vectors: np.ndarray, item_vectors: np.ndarray, k: int, exclude: list[np.ndarray] | None = None
) -> np.ndarray:
    """The same ranking by one matrix product and torch.topk (the reference faiss is timed against)."""
    scores = (
        torch.from_numpy(np.asarray(user_vectors, np.float32))
        @ torch.from_numpy(np.asarray(item_vectors, np.float32)).T
    )
    if exclude:
        for row, banned in enumerate(exclude):
            scores[row, torch.from_numpy(np.asarray(banned, dtype=np.int64))] = -torch.inf
    return scores.topk(min(k, scores.shape[1]), dim=1).indices.numpy()


def throughput(
    user_vectors: np.ndarray, item_vectors: np.ndarray, k: int = 20, repeats: int = 3
) -> dict[str, float]:
    """Queries per second of exact faiss, IVF faiss and the brute-force product, measured side by
    side on the same vectors (best of `repeats`), with IVF recall against the exact top-k."""
    import time

    exact = ItemIndex(item_vectors)
    ivf = ItemIndex(item_vectors, kind="ivf")
    out = {}
    for name, search in (
        ("faiss_flat", lambda: exact.search(user_vectors, k)),
        ("faiss_ivf", lambda: ivf.search(user_vectors, k)),
        ("brute_force", lambda: brute_force_topk(user_vectors, item_vectors, k)),
    ):
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            search()
            best = min(best, time.perf_counter() - t0)
        out[f"{name}_qps"] = len(user_vectors) / best
    truth, approx = exact.search(user_vectors, k), ivf.search(user_vectors, k)
    out["ivf_recall"] = float(np.mean([len(set(a) & set(t)) / k for a, t in zip(approx, truth)]))
    return out
