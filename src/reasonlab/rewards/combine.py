"""A weighted sum of rewards (TRL's reward_weights)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from reasonlab.rewards.base import Reward, RewardFunction
from reasonlab.tasks.base import Problem


class WeightedSum(RewardFunction):
    def __init__(self, rewards: Sequence[Reward], weights: Sequence[float] | None = None):
        if not rewards:
            raise ValueError("WeightedSum needs at least one reward")
        weights = [1.0] * len(rewards) if weights is None else list(weights)
        if len(weights) != len(rewards):
            raise ValueError(f"{len(weights)} weights for {len(rewards)} rewards")
        self.rewards, self.weights = list(rewards), weights
        self.name = " + ".join(f"{w:g}*{r.name}" for r, w in zip(self.rewards, weights))

    def score(self, problem: Problem, completion: str) -> float:
        """Rewards that cannot score this sample (None or NaN) are left out, as TRL's nansum does;
        NaN only when none can."""
        parts = [(w, r.score(problem, completion)) for r, w in zip(self.rewards, self.weights)]
        known = [w * v for w, v in parts if v is not None and not math.isnan(v)]
        return sum(known) if known else float("nan")

    def score_steps(self, problem: Problem, steps: Sequence[str]) -> list[float]:
        per_reward = [r.score_steps(problem, steps) for r in self.rewards]
        return [sum(w * s[i] for s, w in zip(per_reward, self.weights)) for i in range(len(steps))]
