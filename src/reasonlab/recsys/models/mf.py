"""Matrix factorisation models: target-only BPR-MF, and EMCDR (embedding, then mapping).

EMCDR (Man et al., 2017) learns MF embeddings in each domain and an MLP that maps a user's source
embedding to the target one, fitted on overlapping users; cold-start users get the mapped vector.
Here the mapping is fitted alongside the MF on detached embeddings, so the two stages share one
training loop while the mapping never changes the embeddings (as in the two-stage original).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from reasonlab.recsys.batches import Batch
from reasonlab.recsys.data import CrossDomainData
from reasonlab.recsys.models.base import ModelConfig, Recommender, target_degree


def bpr_loss(user: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
    return F.softplus(-((user * pos).sum(-1) - (user * neg).sum(-1))).mean()


def _embedding(n: int, dim: int) -> nn.Embedding:
    e = nn.Embedding(n, dim)
    nn.init.normal_(e.weight, std=0.1)
    return e


class BPRMF(Recommender):
    def __init__(self, data: CrossDomainData, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.user = _embedding(data.target.n_users, cfg.dim)
        self.item = _embedding(data.target.n_items, cfg.dim)

    def _bpr(self, user: nn.Embedding, item: nn.Embedding, u, pos, neg) -> torch.Tensor:
        eu, ep, en = user(u), item(pos), item(neg[:, 0])
        reg = self.cfg.l2 * (eu.pow(2).sum() + ep.pow(2).sum() + en.pow(2).sum()) / len(u)
        return bpr_loss(eu, ep, en) + reg

    def loss(self, batch: Batch, epoch: float) -> dict[str, torch.Tensor]:
        bpr = self._bpr(self.user, self.item, batch.t_user, batch.t_pos, batch.t_neg)
        return {"loss": bpr, "intra_target": bpr.detach()}

    @torch.no_grad()
    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        return self.user.weight.cpu().numpy().copy(), self.item.weight.cpu().numpy().copy()


class EMCDR(BPRMF):
    def __init__(self, data: CrossDomainData, cfg: ModelConfig):
        super().__init__(data, cfg)
        self.source_user = _embedding(data.source.n_users, cfg.dim)
        self.source_item = _embedding(data.source.n_items, cfg.dim)
        self.mapping = nn.Sequential(
            nn.Linear(cfg.dim, 2 * cfg.dim), nn.Tanh(), nn.Linear(2 * cfg.dim, cfg.dim)
        )
        self.register_buffer("source_of", torch.as_tensor(data.source_of_target_user()), persistent=False)
        self.register_buffer("cold", torch.as_tensor(target_degree(data) == 0), persistent=False)

    def loss(self, batch: Batch, epoch: float) -> dict[str, torch.Tensor]:
        target = self._bpr(self.user, self.item, batch.t_user, batch.t_pos, batch.t_neg)
        source = self._bpr(self.source_user, self.source_item, batch.s_user, batch.s_pos, batch.s_neg)
        mapped = self.mapping(self.source_user(batch.anchor_source).detach())
        mapping = F.mse_loss(mapped, self.user(batch.anchor_target).detach())
        total = target + source + mapping
        return {
            "loss": total,
            "intra_target": target.detach(),
            "intra_source": source.detach(),
            "inter": mapping.detach(),
        }

    @torch.no_grad()
    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        users = self.user.weight.clone()
        cold = self.cold & (self.source_of >= 0)
        users[cold] = self.mapping(self.source_user.weight[self.source_of[cold]])
        return users.cpu().numpy(), self.item.weight.cpu().numpy()
