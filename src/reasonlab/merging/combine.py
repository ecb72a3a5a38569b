"""Merging one tensor: mergekit's formulas, written as loops over the models so that a linear or
task-arithmetic merge holds one input at a time (TIES keeps the n sparsified task vectors: the sign
election needs them all).

linear:           sum_i w_i theta_i                  (/ sum_i w_i when normalize, mergekit's default)
task vectors:     d_i = sparsify(theta_i - base) * w_i
  no consensus:   m = sum_i d_i                      (/ sum_i w_i when normalize; a |sum| < 1e-8 -> 1)
  TIES consensus: s = sign(sum_i d_i), + where the sum is 0; keep_i = sign(d_i) == s (a trimmed 0
                  never agrees); m = sum_i d_i keep_i (/ sum_i w_i keep_i when normalize; 0 -> 1)
  result:         base + lambda * m
Arithmetic is float32 (float64 inputs stay float64); the caller casts the result to the output dtype.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import torch

from reasonlab.core.seeds import derive_seed
from reasonlab.merging.methods import Method
from reasonlab.merging.sparsify import sparsify

ZERO_SUM = 1e-8  # mergekit: a summed weight below this divides by 1 instead


@dataclass(frozen=True)
class Recipe:
    """Everything a tensor's merge depends on besides the tensors: method, per-model weights and
    densities, and the method-level settings (defaults already resolved)."""

    method: Method
    weights: tuple[float, ...]
    densities: tuple[float, ...]
    normalize: bool
    lambda_: float = 1.0
    rescale: str = "none"
    seed: int = 0

    def keeping(self, indices: Sequence[int]) -> Recipe:
        """The recipe of the models at `indices` only (their weights and densities, in that order)."""
        return replace(
            self,
            weights=tuple(self.weights[i] for i in indices),
            densities=tuple(self.densities[i] for i in indices),
        )


def _work(t: torch.Tensor) -> torch.Tensor:
    return t.to(torch.promote_types(t.dtype, torch.float32))


def linear(tensors: Iterable[torch.Tensor], weights: Sequence[float], normalize: bool) -> torch.Tensor:
    """sum_i w_i t_i, divided by sum_i w_i when `normalize` (the caller checks that sum is > 0)."""
    acc = None
    for t, w in zip(tensors, weights, strict=True):
        term = _work(t) * w
        acc = term if acc is None else acc.add_(term)
        del t, term
    if normalize:
        acc /= sum(weights)
    return acc


def drop_generator(seed: int, name: str, index: int, device: torch.device) -> torch.Generator:
    """The DARE generator of model `index` at tensor `name`: a function of the seed and both, so the
    drop does not depend on tensor order, sharding or the other models."""
    g = torch.Generator(device=device)
    g.manual_seed(derive_seed(seed, name, index))
    return g


def task_vectors(
    name: str, base: torch.Tensor, tensors: Iterable[torch.Tensor], recipe: Recipe
) -> torch.Tensor:
    """base + lambda * (the weighted, sparsified, sign-elected task vectors), as mergekit's
    generalized task arithmetic (task_arithmetic, ties, dare_linear, dare_ties); no tensors: the
    base, as there (where every model listed is the base)."""
    method = recipe.method
    base = _work(base)
    kept: list[torch.Tensor] = []
    mixed = None
    for i, t in enumerate(tensors):
        delta = _work(t) - base
        del t
        if method.sparsify is not None:
            gen = drop_generator(recipe.seed, name, i, base.device) if method.sparsify == "random" else None
            delta = sparsify(delta, recipe.densities[i], method.sparsify, recipe.rescale, gen)
        delta = delta * recipe.weights[i]
        if method.consensus:
            kept.append(delta)
        else:
            mixed = delta if mixed is None else mixed.add_(delta)
    if not kept and mixed is None:
        return base
    if method.consensus:
        total = _sum(kept)
        majority = torch.where(total >= 0, 1.0, -1.0).to(base.dtype)
        del total
        mixed, divisor = torch.zeros_like(base), torch.zeros_like(base)
        for w, delta in zip(recipe.weights, kept):
            agree = delta.sign() == majority
            mixed.add_(delta * agree)
            divisor.add_(agree.to(base.dtype) * w)
        divisor[divisor == 0] = 1
    else:
        divisor = sum(recipe.weights)
        divisor = 1.0 if abs(divisor) < ZERO_SUM else divisor
    if recipe.normalize:
        mixed /= divisor
    if recipe.lambda_ != 1:
        mixed *= recipe.lambda_
    return base + mixed


def _sum(tensors: list[torch.Tensor]) -> torch.Tensor:
    acc = tensors[0].clone()
    for t in tensors[1:]:
        acc.add_(t)
    return acc


def merge_tensor(
    name: str, recipe: Recipe, tensors: Iterable[torch.Tensor], base: torch.Tensor | None = None
) -> torch.Tensor:
    """One merged tensor (in float32 or wider). `tensors` may be a generator that reads each model's
    tensor when asked, so that linear and task arithmetic hold one input at a time."""
    if recipe.method.uses_base:
        if base is None:
            raise ValueError(f"{recipe.method.name} needs the base model's tensor")
        return task_vectors(name, base, tensors, recipe)
    return linear(tensors, recipe.weights, recipe.normalize)
