"""User-item graphs: a GraphSAGE encoder (PyTorch Geometric) and Katz centrality (scipy sparse).

Users and items of one domain are nodes of one bipartite graph: users first, then items.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from reasonlab.core.optional import require


def bipartite_edge_index(users: np.ndarray, items: np.ndarray, n_users: int) -> torch.Tensor:
    """[2, 2E] edges in both directions, items offset by n_users."""
    u = torch.as_tensor(users, dtype=torch.long)
    i = torch.as_tensor(items, dtype=torch.long) + n_users
    return torch.stack([torch.cat([u, i]), torch.cat([i, u])])


class SAGEEncoder(nn.Module):
    """Learned node embeddings refined by `layers` mean-aggregating SAGEConv layers."""

    def __init__(self, n_users: int, n_items: int, dim: int = 64, layers: int = 2, dropout: float = 0.1):
        SAGEConv = require("torch_geometric.nn", "recsys", "the GraphSAGE encoder").SAGEConv
        super().__init__()
        self.n_users = n_users
        self.embedding = nn.Embedding(n_users + n_items, dim)
        nn.init.normal_(self.embedding.weight, std=0.1)
        self.convs = nn.ModuleList(SAGEConv(dim, dim, aggr="mean") for _ in range(layers))
        self.dropout = nn.Dropout(dropout)

    def forward(self, edge_index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(user vectors, item vectors); the input embedding is kept as a residual."""
        x = self.embedding.weight
        h = x
        for k, conv in enumerate(self.convs):
            h = conv(self.dropout(h), edge_index)
            if k < len(self.convs) - 1:
                h = torch.relu(h)
        h = h + x
        return h[: self.n_users], h[self.n_users :]


def drop_edges(
    edge_index: torch.Tensor, rate: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """A random view of the graph: each undirected edge kept with probability 1 - rate."""
    if rate <= 0:
        return edge_index
    half = edge_index.shape[1] // 2
    keep = torch.rand(half, generator=generator) >= rate
    keep = torch.cat([keep, keep])
    return edge_index[:, keep]


def katz_centrality(
    adjacency, alpha_ratio: float = 0.5, tol: float = 1e-10, max_iter: int = 1000
) -> np.ndarray:
    """Katz centrality x = alpha A x + 1 (L2-normalised, as networkx), alpha = ratio / lambda_max.

    `adjacency` is a symmetric scipy sparse matrix; solved by fixed-point iteration.
    """
    eigsh = require("scipy.sparse.linalg", "recsys", "Katz centrality").eigsh
    a = adjacency.astype(np.float64).tocsr()
    lam = float(eigsh(a, k=1, which="LA", return_eigenvectors=False)[0]) if a.nnz else 1.0
    alpha = alpha_ratio / max(lam, 1e-12)
    x = np.zeros(a.shape[0])
    for _ in range(max_iter):
        nxt = alpha * (a @ x) + 1.0
        if np.abs(nxt - x).max() < tol:
            x = nxt
            break
        x = nxt
    return x / np.linalg.norm(x)


def union_adjacency(
    source_pairs: tuple[np.ndarray, np.ndarray],
    target_pairs: tuple[np.ndarray, np.ndarray],
    n_source_users: int,
    n_target_users: int,
    n_source_items: int,
    n_target_items: int,
    source_of_target_user: np.ndarray,
):
    """Both domains in one graph, an overlapping user being one node; returns (adjacency, node of
    each target user)."""
    coo_matrix = require("scipy.sparse", "recsys", "the cross-domain graph").coo_matrix
    extra = np.flatnonzero(source_of_target_user < 0)
    target_node = source_of_target_user.copy()
    target_node[extra] = n_source_users + np.arange(len(extra))
    n_people = n_source_users + len(extra)
    s_item0, t_item0 = n_people, n_people + n_source_items
    rows = np.concatenate([source_pairs[0], target_node[target_pairs[0]]])
    cols = np.concatenate([s_item0 + source_pairs[1], t_item0 + target_pairs[1]])
    n = t_item0 + n_target_items
    a = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    a = (a + a.T).tocsr()
    a.data[:] = 1.0
    return a, target_node
