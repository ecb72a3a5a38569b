"""Entropy estimators for a cloud of hidden states (tokens are the samples), and the cosine change.

EntroDrop scores a block by how much it raises the entropy of the residual stream, H(out) - H(in).
Each estimator takes an [n, D] tensor of token states and returns nats:
- `knn_entropy`: Kozachenko-Leonenko with the k-th neighbour distance, as the official code writes
  it (log n - log k, not digamma). It is not scale invariant: H(c x) = H(x) + D log c, so part of
  what it measures across a block is the growth of the residual norm. Quadratic in n: subsample.
- `bucket_entropy`: an equal-width histogram between each dimension's min and max, the dimensions'
  entropies summed (a sum of marginals, not a joint entropy). Scale invariant per dimension.
- `renyi_entropy`: matrix-based Renyi entropy of order alpha (Giraldo et al.) on standardised
  states with a Gaussian kernel of median bandwidth: shape only, scale invariant. Cubic in n.
"""

from __future__ import annotations

import math

import torch

TINY = 1e-10  # inside logs, as the official code guards them


def _points(x: torch.Tensor) -> torch.Tensor:
    if x.dim() != 2:
        raise ValueError(f"expected an [n, D] tensor of token states, got shape {tuple(x.shape)}")
    return x.float()


def knn_entropy(x: torch.Tensor, k: int = 25) -> float:
    """H = D mean(log r_k) + (D/2) log pi - lgamma(D/2 + 1) + log n - log k, r_k the distance of
    each point to its k-th nearest other point."""
    x = _points(x)
    n, d = x.shape
    if n <= k:
        raise ValueError(f"the kNN estimator needs more than k={k} points, got {n}")
    distances = torch.cdist(x, x)
    r_k = distances.topk(k + 1, dim=1, largest=False).values[:, k]  # column 0 is the point itself
    mean_log_r = torch.log(r_k + TINY).mean().item()
    return d * mean_log_r + d / 2 * math.log(math.pi) - math.lgamma(d / 2 + 1) + math.log(n) - math.log(k)


def bucket_entropy(x: torch.Tensor, bins: int = 20) -> float:
    """Sum over dimensions of the Shannon entropy of an equal-width `bins`-bucket histogram spanning
    that dimension's [min, max] (a constant dimension has entropy 0)."""
    x = _points(x)
    n, d = x.shape
    low, high = x.min(dim=0).values, x.max(dim=0).values
    width = (high - low).clamp_min(torch.finfo(x.dtype).tiny)
    index = ((x - low) / width * bins).long().clamp(0, bins - 1)  # the maximum goes to the last bucket
    index = index + torch.arange(d, device=x.device) * bins
    counts = torch.zeros(d * bins, device=x.device).index_add_(
        0, index.flatten(), torch.ones(n * d, device=x.device)
    )
    p = counts.view(d, bins) / n
    return float(-torch.special.xlogy(p, p).sum())  # empty buckets add 0


def renyi_entropy(x: torch.Tensor, alpha: float = 4.0, sigma: float | None = None) -> float:
    """S_alpha = log(sum_i lambda_i^alpha) / (1 - alpha), lambda the eigenvalues of the Gram matrix
    K / n of the standardised states, K Gaussian with bandwidth `sigma` (default: the median
    distance between distinct points). Between 0 (one cluster) and log n (all points apart)."""
    if alpha <= 0 or alpha == 1:
        raise ValueError(f"alpha must be > 0 and != 1, got {alpha}")
    x = _points(x)
    n = x.shape[0]
    if n < 2:
        raise ValueError("the Renyi estimator needs at least 2 points")
    x = (x - x.mean(dim=0)) / (x.std(dim=0) + TINY)
    distances = torch.cdist(x, x).double()
    if sigma is None:
        off = distances[~torch.eye(n, dtype=torch.bool, device=x.device)]
        sigma = max(float(off.median()), TINY)
    gram = torch.exp(-(distances**2) / (2 * sigma**2)) / n
    return float(torch.log(_power_trace(gram, alpha)) / (1 - alpha))


def _power_trace(a: torch.Tensor, alpha: float) -> torch.Tensor:
    """sum_i lambda_i^alpha of a symmetric PSD matrix: trace(A^alpha) by matrix products for an
    integer alpha (exact, and faster than an eigendecomposition), else from its eigenvalues."""
    if float(alpha).is_integer() and alpha >= 2:
        half = torch.linalg.matrix_power(a, int(alpha) // 2)
        return (half * half).sum() if int(alpha) % 2 == 0 else ((half @ a) * half).sum()
    return (torch.linalg.eigvalsh(a).clamp_min(0) ** alpha).sum()


def cosine_change(x: torch.Tensor, y: torch.Tensor) -> float:
    """1 - mean cosine similarity between each token's state before (x) and after (y) a block, as
    ShortGPT's Block Influence and LLM-Drop score blocks: 0 when the block changes no direction."""
    return 1.0 - float(torch.nn.functional.cosine_similarity(_points(x), _points(y), dim=-1).mean())


ESTIMATORS = {"knn": knn_entropy, "bucket": bucket_entropy, "renyi": renyi_entropy}
