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


EVAL_MODES = ("full", "uni100")


def sampled_ranking(
    user_vectors: np.ndarray,
    item_vectors: np.ndarray,
    truth: list[np.ndarray],
    exclude: list[np.ndarray],
    k: int,
    per_positive: int = 100,
    seed: int = 0,
) -> np.ndarray:
    """RecBole's uni100: each user's held-out items ranked among `per_positive` uniformly drawn
    negatives per positive (items the user never had); [users, k] best first."""
    rng = np.random.default_rng(seed)
    n_items = len(item_vectors)
    ranked = []
    for u, (t, ex) in enumerate(zip(truth, exclude)):
        banned = np.zeros(n_items, dtype=bool)
        banned[np.asarray(t, dtype=np.int64)] = banned[np.asarray(ex, dtype=np.int64)] = True
        pool = np.flatnonzero(~banned)
        want = per_positive * len(t)
        negatives = rng.choice(pool, size=want, replace=want > len(pool))
        candidates = np.concatenate([t, negatives])
        scores = item_vectors[candidates] @ user_vectors[u]
        ranked.append(candidates[np.argsort(-scores, kind="stable")[:k]])
    return np.stack(ranked)


def rank_and_score(
    user_vectors: np.ndarray,
    item_vectors: np.ndarray,
    truth: list[np.ndarray],
    exclude: list[np.ndarray],
    ks: tuple[int, ...],
    index: str = "flat",
    mode: str = "full",
) -> dict[str, float]:
    """Metrics over the users that have held-out items (rows of the inputs): full ranking by faiss
    search, or uni100 sampled ranking."""
    rows = [u for u, t in enumerate(truth) if len(t)]
    if not rows:
        return ranking_metrics(np.zeros((0, max(ks)), dtype=np.int64), [], ks)
    if mode == "uni100":
        ranked = sampled_ranking(
            user_vectors[rows], item_vectors, [truth[u] for u in rows], [exclude[u] for u in rows], max(ks)
        )
    else:
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
    mode: str = "full",
) -> tuple[dict[str, float], list[str]]:
    """`valid`: warm users' validation items, train items excluded. `test`: warm users' test items
    (train and validation excluded) and, under `cold/`, cold-start users' items. `mode` full ranks
    every item (the default, as RecBole's `full`); uni100 samples 100 negatives per positive."""
    n_users, n_items = data.target.n_users, data.target.n_items
    ks, notes = clamp_ks(ks, n_items)
    split = data.split
    train = items_by_user(split.train, n_users)
    valid = items_by_user(split.valid, n_users)
    if stage == "valid":
        return rank_and_score(user_vectors, item_vectors, valid, train, ks, index, mode), notes
    seen = [np.concatenate([a, b]) for a, b in zip(train, valid)]
    metrics = rank_and_score(
        user_vectors, item_vectors, items_by_user(split.test, n_users), seen, ks, index, mode
    )
    cold = rank_and_score(
        user_vectors, item_vectors, items_by_user(split.cold_test, n_users), seen, ks, index, mode
    )
    metrics.update({f"cold/{k}": v for k, v in cold.items()})
    return metrics, notes
