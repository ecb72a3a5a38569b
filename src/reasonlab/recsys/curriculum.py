"""Negative-sample curriculum for inter-domain learning: easy negatives first, hard ones later.

Candidates are ordered by a precomputed difficulty (Katz centrality in the union graph by default:
a central user sits near many others, so it is a hard negative). At training progress p the
sampler draws from the easiest `competence(p)` share of them. Pacing functions follow the
competence-based curriculum of Platanios et al. (2019): linear, root (fast then slow) or none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from reasonlab.core.errors import ReasonlabError

PACINGS = ("none", "linear", "root")


@dataclass
class Curriculum:
    order: np.ndarray  # candidate ids, easiest first
    pacing: str = "root"
    start: float = 0.2  # share of candidates available at the start
    epochs: float = 10.0  # the whole pool is open after this many epochs

    def __post_init__(self) -> None:
        if self.pacing not in PACINGS:
            raise ReasonlabError(f"unknown pacing {self.pacing!r} (one of {', '.join(PACINGS)})")
        if not 0 < self.start <= 1:
            raise ReasonlabError(f"curriculum start share must be in (0, 1], got {self.start}")

    def competence(self, epoch: float) -> float:
        """Share of candidates open at (fractional) `epoch`."""
        if self.pacing == "none":
            return 1.0
        t = min(1.0, max(0.0, epoch / max(self.epochs, 1e-9)))
        if self.pacing == "linear":
            return min(1.0, self.start + (1 - self.start) * t)
        return min(1.0, math.sqrt(self.start**2 + (1 - self.start**2) * t))

    def pool(self, epoch: float) -> np.ndarray:
        size = max(2, math.ceil(self.competence(epoch) * len(self.order)))
        return self.order[:size]


def easy_to_hard(candidates: np.ndarray, difficulty: np.ndarray) -> np.ndarray:
    """Candidates sorted by difficulty, ascending (ties by id, so the order is deterministic)."""
    return candidates[np.lexsort((candidates, difficulty[candidates]))]


DIFFICULTIES = ("katz", "degree")


def overlap_curriculum(
    data, candidates: np.ndarray, difficulty: str, pacing: str, start: float, epochs: float
):
    """A curriculum over `candidates` (target indices of overlapping users), ordered by their
    Katz centrality or degree in the graph that joins both domains through those users."""
    from reasonlab.recsys.graph import katz_centrality, union_adjacency

    if difficulty not in DIFFICULTIES:
        raise ReasonlabError(f"unknown difficulty {difficulty!r} (one of {', '.join(DIFFICULTIES)})")
    if pacing == "none":
        return Curriculum(candidates, "none", start, epochs)
    s, t = data.source, data.target
    adjacency, target_node = union_adjacency(
        (s.user, s.item),
        data.split.train,
        s.n_users,
        t.n_users,
        s.n_items,
        t.n_items,
        data.source_of_target_user(),
    )
    if difficulty == "katz":
        score = katz_centrality(adjacency)
    else:
        score = np.asarray(adjacency.sum(axis=1)).ravel()
    per_target_user = score[target_node]
    return Curriculum(easy_to_hard(candidates, per_target_user), pacing, start, epochs)
