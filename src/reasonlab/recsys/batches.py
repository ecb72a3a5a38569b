"""Training batches for every model: target edges, source edges, and inter-domain anchors.

An epoch is one pass over the target training interactions in shuffled batches. Each batch also
carries as many source interactions (drawn at random) and a set of anchors: overlapping users
that have target training data, each with negatives (other such users) drawn from the curriculum
pool. Negative items are drawn by degree^0.75, as CCDR and word2vec do. The rng is seeded by
(seed, epoch), so a run resumed at an epoch boundary sees the same batches.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from reasonlab.recsys.curriculum import Curriculum
from reasonlab.recsys.data import CrossDomainData


@dataclass
class Batch:
    t_user: torch.Tensor  # [B] target users
    t_pos: torch.Tensor  # [B] their items
    t_neg: torch.Tensor  # [B, negatives] sampled items
    s_user: torch.Tensor
    s_pos: torch.Tensor
    s_neg: torch.Tensor
    anchor_source: torch.Tensor  # [A] source index of an overlapping user
    anchor_target: torch.Tensor  # [A] the same user in the target domain
    anchor_neg: torch.Tensor  # [A, K] target indices of other overlapping users


def negative_distribution(items: np.ndarray, n_items: int, power: float = 0.75) -> np.ndarray:
    weights = np.bincount(items, minlength=n_items).astype(np.float64) ** power
    weights += 1e-3  # items unseen in training can still be drawn
    return weights / weights.sum()


class BatchSampler:
    def __init__(
        self,
        data: CrossDomainData,
        curriculum: Curriculum,
        batch_size: int = 1024,
        negatives: int = 10,
        anchors: int = 256,
        anchor_negatives: int = 32,
        seed: int = 0,
    ):
        self.data, self.curriculum, self.seed = data, curriculum, seed
        self.batch_size, self.negatives = batch_size, negatives
        self.anchors, self.anchor_negatives = anchors, anchor_negatives
        self.t_pairs = data.split.train
        self.s_pairs = (data.source.user, data.source.item)
        self.t_dist = negative_distribution(self.t_pairs[1], data.target.n_items)
        self.s_dist = negative_distribution(self.s_pairs[1], data.source.n_items)
        self.warm_overlap = warm_overlap(data)

    def __len__(self) -> int:
        return -(-len(self.t_pairs[0]) // self.batch_size)

    def epoch(self, epoch: int) -> Iterator[Batch]:
        rng = np.random.default_rng([self.seed, epoch])
        order = rng.permutation(len(self.t_pairs[0]))
        source_of = self.data.source_of_target_user()
        for k in range(len(self)):
            rows = order[k * self.batch_size : (k + 1) * self.batch_size]
            s_rows = rng.integers(0, len(self.s_pairs[0]), len(rows))
            progress = epoch + k / len(self)
            pool = self.curriculum.pool(progress)
            anchor_t = rng.choice(
                self.warm_overlap, size=min(self.anchors, len(self.warm_overlap)), replace=False
            )
            anchor_neg = pool[rng.integers(0, len(pool), (len(anchor_t), self.anchor_negatives))]
            yield Batch(
                t_user=_long(self.t_pairs[0][rows]),
                t_pos=_long(self.t_pairs[1][rows]),
                t_neg=_long(rng.choice(len(self.t_dist), (len(rows), self.negatives), p=self.t_dist)),
                s_user=_long(self.s_pairs[0][s_rows]),
                s_pos=_long(self.s_pairs[1][s_rows]),
                s_neg=_long(rng.choice(len(self.s_dist), (len(rows), self.negatives), p=self.s_dist)),
                anchor_source=_long(source_of[anchor_t]),
                anchor_target=_long(anchor_t),
                anchor_neg=_long(anchor_neg),
            )


def warm_overlap(data: CrossDomainData) -> np.ndarray:
    """Target indices of overlapping users that have target training interactions."""
    warm = np.zeros(data.target.n_users, dtype=bool)
    warm[data.split.train[0]] = True
    shared = np.unique(data.overlap[:, 1])
    return shared[warm[shared]]


def _long(a: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.asarray(a), dtype=torch.long)
