"""Full-ranking evaluation of target-domain recommendations, warm and cold-start users apart."""

from __future__ import annotations

import numpy as np

from reasonlab.recsys.data import CrossDomainData
from reasonlab.recsys.metrics import ranking_metrics
from reasonlab.recsys.retrieval import ItemIndex

DEFAULT_KS = (10, 20, 50)


def items_by_user(pairs: tuple[np.ndarray, np.ndarray], n_users: int) -> list[np.ndarray]:
    users, items = pairs
    order = np.argsort(users, kind="stable")
    bounds = np.searchsorted(users[order], np.arange(n_users + 1))
    return [items[order[bounds[u] : bounds[u + 1]]] for u in range(n_users)]


def clamp_ks(ks: tuple[int, ...], n_items: int) -> tuple[tuple[int, ...], list[str]]:
    """Ks above the catalogue size become the catalogue size, with a note saying so."""
    notes = [f"K={k} exceeds the {n_items} target items: clamped to {n_items}" for k in ks if k > n_items]
    return tuple(sorted({min(k, n_items) for k in ks})), notes


def rank_and_score(
    user_vectors: np.ndarray,
    item_vectors: np.ndarray,
    truth: list[np.ndarray],
    exclude: list[np.ndarray],
    ks: tuple[int, ...],
    index: str = "flat",
) -> dict[str, float]:
    """Metrics over the users that have held-out items (rows of the inputs), by faiss search."""
    rows = [u for u, t in enumerate(truth) if len(t)]
    if not rows:
        return ranking_metrics(np.zeros((0, max(ks)), dtype=np.int64), [], ks)
    ranked = ItemIndex(item_vectors, kind=index).search(
        user_vectors[rows], max(ks), [exclude[u] for u in rows]
    )
    return ranking_metrics(ranked, [set(truth[u].tolist()) for u in rows], ks)


def evaluate_target(
    data: CrossDomainData,
    user_vectors: np.ndarray,
    item_vectors: np.ndarray,
    stage: str = "test",
    ks: tuple[int, ...] = DEFAULT_KS,
    index: str = "flat",
) -> tuple[dict[str, float], list[str]]:
    """`valid`: warm users' validation items, train items excluded. `test`: warm users' test items
    (train and validation excluded) and, under `cold/`, cold-start users' items."""
    n_users, n_items = data.target.n_users, data.target.n_items
    ks, notes = clamp_ks(ks, n_items)
    split = data.split
    train = items_by_user(split.train, n_users)
    valid = items_by_user(split.valid, n_users)
    if stage == "valid":
        return rank_and_score(user_vectors, item_vectors, valid, train, ks, index), notes
    seen = [np.concatenate([a, b]) for a, b in zip(train, valid)]
    metrics = rank_and_score(user_vectors, item_vectors, items_by_user(split.test, n_users), seen, ks, index)
    cold = rank_and_score(
        user_vectors, item_vectors, items_by_user(split.cold_test, n_users), seen, ks, index
    )
    metrics.update({f"cold/{k}": v for k, v in cold.items()})
    return metrics, notes
