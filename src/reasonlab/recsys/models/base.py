"""What every recommender here provides: a training loss per batch and target-domain vectors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from reasonlab.core.errors import ReasonlabError
from reasonlab.recsys.batches import Batch
from reasonlab.recsys.data import CrossDomainData

# Which side of the inter-domain loss is detached. "target" (SCCDR): the target vectors are the fixed
# side of the alignment, as sg(z) in SimSiam, with the transfer network in the predictor's place; the
# inter-domain loss trains the source encoder and the transfer network, and the target encoder, whose
# vectors are served, learns from intra-domain link prediction alone. "none" mixes the loss into both
# encoders (CCDR-style); "source" and "both" (only the transfer network learns from it) are ablations.
STOP_GRADIENTS = ("none", "source", "target", "both")


@dataclass
class ModelConfig:
    """Hyperparameters of all models; each model reads the ones it uses.

    The SCCDR paper publishes no code: temperature, the InfoNCE form of inter-domain learning, the
    place of the stop-gradient (see STOP_GRADIENTS) and the pacing function are our choices, all
    exposed here.
    """

    dim: int = 64
    layers: int = 2  # GraphSAGE layers
    dropout: float = 0.1
    edge_dropout: float = 0.1  # each intra-domain step sees its own random view of its graph
    temperature: float = 0.2  # inter-domain InfoNCE
    intra_weight: float = 1.0
    inter_weight: float = 0.5
    neighbour_weight: float = 0.5  # share of inter-domain loss on neighbour similarity
    fusion: float = 0.5  # weight of the transferred source vector for warm overlapping users
    stop_gradient: str = "target"  # SCCDR: the inter-domain loss does not reach the target encoder
    l2: float = 0.0  # BPR-MF embedding regularisation

    def __post_init__(self) -> None:
        if self.stop_gradient not in STOP_GRADIENTS:
            raise ReasonlabError(
                f"stop_gradient must be one of {', '.join(STOP_GRADIENTS)}, got {self.stop_gradient!r}"
            )


class Recommender(nn.Module):
    """Base class. `uses_batches` False marks models that need no training (popularity)."""

    uses_batches = True

    def loss(self, batch: Batch, epoch: float) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def forward(self, batch: Batch, epoch: float) -> dict[str, torch.Tensor]:
        return self.loss(batch, epoch)

    @torch.no_grad()
    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(target user vectors, target item vectors): score = inner product."""
        raise NotImplementedError


def bce_link_loss(user: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of positive edges against sampled negatives ([B, d], [B, d], [B, n, d])."""
    pos_logit = (user * pos).sum(-1)
    neg_logit = torch.einsum("bd,bnd->bn", user, neg)
    return F.softplus(-pos_logit).mean() + F.softplus(neg_logit).mean()


def info_nce(
    anchor: torch.Tensor, positive: torch.Tensor, negatives: torch.Tensor, same: torch.Tensor, tau: float
) -> torch.Tensor:
    """Cosine InfoNCE ([A, d], [A, d], [A, K, d]); `same` [A, K] masks negatives that are the positive."""
    a, p, n = F.normalize(anchor, dim=-1), F.normalize(positive, dim=-1), F.normalize(negatives, dim=-1)
    pos = (a * p).sum(-1, keepdim=True)
    neg = torch.einsum("ad,akd->ak", a, n).masked_fill(same, -torch.inf)
    logits = torch.cat([pos, neg], dim=1) / tau
    return F.cross_entropy(logits, torch.zeros(len(a), dtype=torch.long, device=a.device))


def target_degree(data: CrossDomainData) -> np.ndarray:
    return np.bincount(data.split.train[0], minlength=data.target.n_users)
