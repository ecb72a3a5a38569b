"""Sparsifying task vectors: TIES keeps the largest magnitudes, DARE drops entries at random; both
may scale what is left back up (methods.RESCALES). Formulas of mergekit's sparsify.py.

A density of 1 (or more) returns the vector untouched, without rescaling, as mergekit does.
"""

from __future__ import annotations

import torch

L1_EPS = 1e-7  # mergekit's tolerance: a norm below it is not rescaled (nothing to match)


def trim_mask(delta: torch.Tensor, density: float) -> torch.Tensor:
    """TIES trim: a 0/1 mask keeping the max(1, int(density * numel)) entries of largest magnitude,
    as mergekit 0.1.5's sparsify.magnitude (up to 0.1.4 it asserted int(density * numel) > 0, so a
    density too small for the tensor stopped the merge). An empty tensor gets an empty mask (0.1.5
    returns zeros; densities <= 0, which it also zeroes, are refused by MergeConfig)."""
    if delta.numel() == 0:
        return torch.zeros_like(delta)
    k = max(1, int(density * delta.numel()))
    mask = torch.zeros(delta.numel(), dtype=delta.dtype, device=delta.device)
    mask[torch.topk(delta.abs().reshape(-1).float(), k, sorted=False).indices] = 1
    return mask.reshape(delta.shape)


def drop_mask(delta: torch.Tensor, density: float, generator: torch.Generator) -> torch.Tensor:
    """DARE drop: a 0/1 mask keeping each entry with probability `density` (dropping with 1 - density),
    drawn from `generator` so that a seed gives the same merge every time."""
    probs = torch.full(delta.shape, density, dtype=torch.float32, device=delta.device)
    return torch.bernoulli(probs, generator=generator).to(delta.dtype)


def rescaled(delta: torch.Tensor, mask: torch.Tensor, how: str, density: float) -> torch.Tensor:
    """delta * mask, scaled back up: "l1" to delta's L1 norm (mergekit; skipped when either norm is
    below 1e-7), "density" by 1/density (the DARE paper), "none" not at all."""
    masked = delta * mask
    if how == "none":
        return masked
    if how == "density":
        return masked / density
    if how == "l1":
        before, after = delta.abs().sum(), masked.abs().sum()
        if before < L1_EPS or after < L1_EPS:
            return masked
        return masked * (before / after)
    raise ValueError(f"unknown rescale {how!r}")


def sparsify(
    delta: torch.Tensor,
    density: float,
    kind: str,
    rescale: str,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """A task vector trimmed ("magnitude") or dropped ("random") to `density`, then rescaled."""
    if density >= 1:
        return delta
    if kind == "magnitude":
        mask = trim_mask(delta, density)
    elif kind == "random":
        if generator is None:
            raise ValueError("random sparsification needs a generator")
        mask = drop_mask(delta, density, generator)
    else:
        raise ValueError(f"unknown sparsification {kind!r}")
    return rescaled(delta, mask, rescale, density)
