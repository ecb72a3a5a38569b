"""GraphSAGE recommenders: target-only, and two-domain with intra- and inter-domain learning.

Each domain has its own GraphSAGE encoder over its user-item graph, trained by intra-domain link
prediction on a random edge-dropout view of that graph. Inter-domain learning runs on overlapping
users: a transfer network maps a user's source vector into the target space, and InfoNCE pulls it
towards (a) the same user's target vector (alignment) and (b) the mean of their target items
(neighbour similarity), against other overlapping users.

SCCDR's stop-gradient (`stop_gradient="target"`) detaches the target encoder's output where it
enters the inter-domain loss: the target vectors are the fixed side of the alignment (SimSiam's
sg(z), the transfer network standing where SimSiam's predictor does), so that loss trains the
source encoder, which thereby learns from the cross-domain signal, and the transfer network, and
never pulls on the target encoder, whose vectors come from intra-domain learning alone. `"none"`
(CCDR-style) mixes both losses into both encoders; `"source"` and `"both"` are ablations (`"both"`
leaves only the transfer network learning from the inter-domain loss).

Serving vectors: a warm overlapping user is normalise(target) + fusion * normalise(transferred);
a cold-start user (no target training data) the transferred vector alone; anyone else their
target vector.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from reasonlab.recsys.batches import Batch
from reasonlab.recsys.data import CrossDomainData
from reasonlab.recsys.graph import SAGEEncoder, bipartite_edge_index, drop_edges
from reasonlab.recsys.models.base import ModelConfig, Recommender, bce_link_loss, info_nce, target_degree


def mean_item_operator(users: np.ndarray, items: np.ndarray, n_users: int, n_items: int) -> torch.Tensor:
    """Sparse [n_users, n_items] matrix whose product with item vectors gives each user's mean item."""
    counts = np.bincount(users, minlength=n_users).astype(np.float32)
    values = torch.as_tensor(1.0 / np.maximum(counts[users], 1.0))
    index = torch.as_tensor(np.stack([users, items]), dtype=torch.long)
    return torch.sparse_coo_tensor(index, values, (n_users, n_items), check_invariants=True).coalesce()


class DualGraph(Recommender):
    def __init__(self, data: CrossDomainData, cfg: ModelConfig, use_source: bool = True):
        super().__init__()
        self.cfg, self.use_source = cfg, use_source
        t, s = data.target, data.source
        train = data.split.train
        self.target = SAGEEncoder(t.n_users, t.n_items, cfg.dim, cfg.layers, cfg.dropout)
        # graph structure as non-persistent buffers: they follow .to(device) but stay out of checkpoints
        self.register_buffer("t_edges", bipartite_edge_index(train[0], train[1], t.n_users), persistent=False)
        self.register_buffer("cold", torch.as_tensor(target_degree(data) == 0), persistent=False)
        if use_source:
            self.source = SAGEEncoder(s.n_users, s.n_items, cfg.dim, cfg.layers, cfg.dropout)
            self.register_buffer("s_edges", bipartite_edge_index(s.user, s.item, s.n_users), persistent=False)
            self.transfer = nn.Sequential(nn.Linear(cfg.dim, cfg.dim), nn.Tanh(), nn.Linear(cfg.dim, cfg.dim))
            mean_item = mean_item_operator(train[0], train[1], t.n_users, t.n_items)
            self.t_mean_item = mean_item  # sparse: not a buffer (DDP cannot broadcast it); moved on use
            self.register_buffer("source_of", torch.as_tensor(data.source_of_target_user()), persistent=False)

    def intra_losses(self, batch: Batch) -> tuple[dict[str, torch.Tensor], tuple]:
        rate = self.cfg.edge_dropout if self.training else 0.0
        tu, ti = self.target(drop_edges(self.t_edges, rate))
        losses = {"intra_target": bce_link_loss(tu[batch.t_user], ti[batch.t_pos], ti[batch.t_neg])}
        su = si = None
        if self.use_source:
            su, si = self.source(drop_edges(self.s_edges, rate))
            losses["intra_source"] = bce_link_loss(su[batch.s_user], si[batch.s_pos], si[batch.s_neg])
        return losses, (tu, ti, su)

    def inter_loss(self, batch: Batch, tu: torch.Tensor, ti: torch.Tensor, su: torch.Tensor) -> torch.Tensor:
        """Alignment and neighbour similarity of transferred source vectors, by InfoNCE."""
        if self.cfg.stop_gradient in ("source", "both"):
            su = su.detach()
        if self.cfg.stop_gradient in ("target", "both"):
            tu, ti = tu.detach(), ti.detach()
        mapped = self.transfer(su[batch.anchor_source])
        same = batch.anchor_neg == batch.anchor_target[:, None]
        tau = self.cfg.temperature
        align = info_nce(mapped, tu[batch.anchor_target], tu[batch.anchor_neg], same, tau)
        neighbours = torch.sparse.mm(self.t_mean_item.to(ti.device), ti)
        near = info_nce(mapped, neighbours[batch.anchor_target], neighbours[batch.anchor_neg], same, tau)
        w = self.cfg.neighbour_weight
        return (1 - w) * align + w * near

    def loss(self, batch: Batch, epoch: float) -> dict[str, torch.Tensor]:
        losses, (tu, ti, su) = self.intra_losses(batch)
        total = self.cfg.intra_weight * sum(losses.values())
        if self.use_source:
            losses["inter"] = self.inter_loss(batch, tu, ti, su)
            total = total + self.cfg.inter_weight * losses["inter"]
        return {"loss": total, **{k: v.detach() for k, v in losses.items()}}

    @torch.no_grad()
    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        tu, ti = self.target(self.t_edges)
        users = tu.clone()
        if self.use_source:
            su, _ = self.source(self.s_edges)
            shared = self.source_of >= 0
            mapped = F.normalize(self.transfer(su[self.source_of[shared]]), dim=-1)
            fused = F.normalize(tu[shared], dim=-1) + self.cfg.fusion * mapped
            users[shared] = torch.where(self.cold[shared][:, None], mapped, fused)
        return users.cpu().numpy(), ti.cpu().numpy()
