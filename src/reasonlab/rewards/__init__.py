"""Rewards: one protocol for everything that scores a completion (verifiers, format checks, PRMs)."""

from reasonlab.rewards.base import Reward, RewardFunction
from reasonlab.rewards.combine import WeightedSum
from reasonlab.rewards.outcome import FormatReward, VerifierReward

__all__ = ["FormatReward", "Reward", "RewardFunction", "VerifierReward", "WeightedSum"]
