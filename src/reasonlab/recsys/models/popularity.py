"""Most popular target items for everyone: the floor every learned model must clear."""

from __future__ import annotations

import numpy as np
import torch

from reasonlab.recsys.data import CrossDomainData
from reasonlab.recsys.models.base import ModelConfig, Recommender


class Popularity(Recommender):
    uses_batches = False

    def __init__(self, data: CrossDomainData, cfg: ModelConfig):
        super().__init__()
        counts = np.bincount(data.split.train[1], minlength=data.target.n_items).astype(np.float32)
        self.register_buffer("counts", torch.from_numpy(counts))
        self.n_users = data.target.n_users

    @torch.no_grad()
    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        return np.ones((self.n_users, 1), np.float32), self.counts.numpy()[:, None].copy()
