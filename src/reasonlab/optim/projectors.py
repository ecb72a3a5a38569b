"""Low-rank bases for gradient projection: full SVD (GaLore), randomized subspace iteration, cross-head.

A `Basis` projects an m x n gradient to the low-rank space and back. As in GaLore's 'std' mode the
smaller side is projected: when m >= n the basis is r x n (right singular vectors) and the low-rank
gradient is G B^T (m x r); otherwise it is m x r (left singular vectors) and the low-rank gradient
is B^T G (r x n). All bases are computed in float32 and are orthonormal.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Basis:
    side: str  # "right": matrix r x n, low = G @ M.T | "left": matrix m x r, low = M.T @ G
    matrix: torch.Tensor

    def project(self, g: torch.Tensor) -> torch.Tensor:
        m = self.matrix.to(g.dtype)
        return g @ m.T if self.side == "right" else m.T @ g

    def back(self, low: torch.Tensor) -> torch.Tensor:
        m = self.matrix.to(low.dtype)
        return low @ m if self.side == "right" else m @ low

    def back_rows(self, low: torch.Tensor, start: int, stop: int) -> torch.Tensor:
        """Rows start:stop of `back(low)`, without forming the rest (for block-wise residuals)."""
        m = self.matrix.to(low.dtype)
        return low[start:stop] @ m if self.side == "right" else m[start:stop] @ low

    @property
    def rank(self) -> int:
        return self.matrix.shape[0] if self.side == "right" else self.matrix.shape[1]


def std_side(shape: tuple[int, int]) -> str:
    """GaLore's 'std' choice: project the smaller dimension."""
    return "right" if shape[0] >= shape[1] else "left"


def _as_basis(side: str, q: torch.Tensor) -> Basis:
    """q holds orthonormal columns spanning the kept subspace of the projected side."""
    return Basis(side, q.T.contiguous() if side == "right" else q.contiguous())


def svd_basis(g: torch.Tensor, rank: int, side: str) -> Basis:
    """GaLore: top-`rank` singular vectors of the float32 gradient from a full (thin) SVD."""
    u, _, vh = torch.linalg.svd(g.float(), full_matrices=False)
    return Basis(side, vh[:rank].contiguous() if side == "right" else u[:, :rank].contiguous())


def rsi_basis(
    g: torch.Tensor,
    rank: int,
    side: str,
    oversample: int = 8,
    power_iters: int = 2,
    warm: Basis | None = None,
    generator: torch.Generator | None = None,
) -> Basis:
    """Randomized subspace iteration (Halko, Martinsson & Tropp 2011, Alg. 4.4).

    Range finder with `rank + oversample` columns, `power_iters` re-orthonormalised power
    iterations, then the SVD of the small projected matrix. With `warm`, the previous basis seeds
    the first `rank` test columns (the subspace drifts slowly between refreshes).
    """
    a = g.float() if side == "left" else g.float().T  # we want the left singular subspace of `a`
    rows, cols = a.shape
    k = min(rank + oversample, rows, cols)
    omega = torch.randn(cols, k, generator=generator, dtype=a.dtype, device="cpu").to(a.device)
    if warm is not None and warm.side == side and warm.rank <= k:
        prev = warm.matrix.T if side == "right" else warm.matrix  # rows x r, orthonormal
        omega[:, : warm.rank] = a.T @ prev.to(a)
    q, _ = torch.linalg.qr(a @ omega)
    for _ in range(power_iters):
        z, _ = torch.linalg.qr(a.T @ q)
        q, _ = torch.linalg.qr(a @ z)
    u_small, _, _ = torch.linalg.svd(q.T @ a, full_matrices=False)
    return _as_basis(side, q @ u_small[:, :rank])


def head_blocks(g: torch.Tensor, num_heads: int, head_axis: int) -> list[torch.Tensor]:
    if g.shape[head_axis] % num_heads:
        raise ValueError(f"dimension {g.shape[head_axis]} is not divisible by {num_heads} heads")
    return list(torch.chunk(g, num_heads, dim=head_axis))


def cross_head_basis(
    g: torch.Tensor,
    rank: int,
    num_heads: int,
    head_axis: int,
    head_choice: str = "random",
    generator: torch.Generator | None = None,
) -> tuple[Basis, int]:
    """GaLore+ cross-head projection: the basis of ONE head's gradient block, shared by all heads.

    For q/k/v weights (heads along dim 0) a head's block is d_head x d and its right singular
    vectors span the shared input subspace; for o_proj (heads along dim 1) the block is d x d_head
    and its left singular vectors are shared. The SVD costs d * d_head^2 instead of d^3. The rank
    is capped at d_head (a block has no more directions). The head is drawn at random, as in the
    paper; "norm" takes the head with the largest gradient norm instead. Returns (basis, chosen head).
    """
    blocks = head_blocks(g, num_heads, head_axis)
    if head_choice == "norm":
        head = int(torch.stack([b.float().norm() for b in blocks]).argmax())
    elif head_choice == "random":
        head = int(torch.randint(num_heads, (1,), generator=generator))
    else:
        raise ValueError(f"head_choice must be 'norm' or 'random', got {head_choice!r}")
    side = "right" if head_axis == 0 else "left"
    block_rank = min(rank, min(blocks[head].shape))
    return svd_basis(blocks[head], block_rank, side), head


def captured_energy(g: torch.Tensor, basis: Basis) -> float:
    """Share of the gradient's squared Frobenius norm inside the basis's subspace."""
    total = float(g.float().pow(2).sum())
    return float(basis.project(g.float()).pow(2).sum()) / total if total > 0 else 1.0


def principal_angles(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Principal angles (degrees) between the column spaces of two orthonormal matrices."""
    s = torch.linalg.svdvals(a.T.double() @ b.double()).clamp(-1, 1)
    return torch.rad2deg(torch.arccos(s))


def is_orthonormal(basis: Basis, atol: float = 1e-4) -> bool:
    q = basis.matrix.T if basis.side == "right" else basis.matrix
    eye = torch.eye(q.shape[1], dtype=q.dtype, device=q.device)
    return bool(torch.allclose(q.T @ q, eye, atol=atol))


__all__ = [
    "Basis",
    "captured_energy",
    "cross_head_basis",
    "is_orthonormal",
    "principal_angles",
    "rsi_basis",
    "std_side",
    "svd_basis",
]
