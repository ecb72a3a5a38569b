"""SLEB-style block scores: the calibration NLL of the model with blocks removed, chosen greedily.

Each round removes, among the remaining candidates, the block whose removal (on top of those already
removed) leaves the lowest mean next-token NLL on the calibration texts, then scores the rest again.
The first round is the NLL of each block removed alone. Removal is temporary (models/pruned.py
`blocks_removed`): the model is unchanged afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from reasonlab.models.pruned import blocks_removed
from reasonlab.models.scoring import forward_scores, pack


@dataclass
class GreedyNLL:
    baseline: float  # NLL of the model as given
    order: list[int]  # blocks in the order they were removed
    nll: list[float]  # NLL after each removal
    alone: dict[int, float]  # first round: NLL with each candidate removed alone


@torch.no_grad()
def calibration_nll(model, texts: list[list[int]], pad_id: int = 0, batch_size: int = 8) -> float:
    """Mean next-token negative log-likelihood over every token of the texts but their first."""
    device = next(model.parameters()).device
    total, count = 0.0, 0
    for start in range(0, len(texts), batch_size):
        chunk = texts[start : start + batch_size]
        batch = pack([t[:1] for t in chunk], [t[1:] for t in chunk], pad_id, device)
        scores = forward_scores(model, batch, with_entropy=False)
        total -= float(scores.logprobs.sum())
        count += int(scores.mask.sum())
    return total / count


def greedy_nll(
    model,
    texts: list[list[int]],
    block: str,
    candidates: list[int],
    steps: int,
    pad_id: int = 0,
    batch_size: int = 8,
    advance=lambda k=1: None,
) -> GreedyNLL:
    """`steps` rounds of greedy removal among `candidates` (layer indices) of one block kind."""
    baseline = calibration_nll(model, texts, pad_id, batch_size)
    removed: list[int] = []
    after: list[float] = []
    alone: dict[int, float] = {}
    for step in range(min(steps, len(candidates))):
        trial = {}
        for c in candidates:
            if c in removed:
                continue
            with blocks_removed(model, block, removed + [c]):
                trial[c] = calibration_nll(model, texts, pad_id, batch_size)
            advance(1)
        if step == 0:
            alone = dict(trial)
        best = min(trial, key=lambda c: (trial[c], c))
        removed.append(best)
        after.append(trial[best])
    return GreedyNLL(baseline, removed, after, alone)


def greedy_passes(candidates: int, steps: int) -> int:
    """Forward passes over the calibration set that `greedy_nll` makes (for progress bars)."""
    steps = min(steps, candidates)
    return sum(candidates - s for s in range(steps))
