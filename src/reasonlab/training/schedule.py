"""Learning-rate schedules from plain numbers."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class WarmupCosine:
    """Linear warm-up over `warmup` steps to `peak`, cosine decay to `min_ratio` x peak at step
    `decay_end`, then that floor. The schedule does not depend on how many steps a run takes, so a
    run stopped early is exactly the prefix of a longer one."""

    peak: float
    warmup: int
    decay_end: int
    min_ratio: float = 0.1

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return self.peak * (step + 1) / self.warmup
        progress = min(1.0, (step - self.warmup) / max(1, self.decay_end - self.warmup))
        return self.peak * (self.min_ratio + (1 - self.min_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


def set_lr(optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr
