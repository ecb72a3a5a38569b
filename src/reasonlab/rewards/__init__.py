"""Rewards: one protocol for everything that scores a completion (verifiers, format checks, PRMs)."""

from reasonlab.rewards.base import Reward, RewardFunction
from reasonlab.rewards.combine import WeightedSum
from reasonlab.rewards.outcome import FormatReward, VerifierReward
from reasonlab.rewards.tags import TagAnswerReward, TagFormatReward, tag_reward

__all__ = [
    "FormatReward",
    "Reward",
    "RewardFunction",
    "TagAnswerReward",
    "TagFormatReward",
    "VerifierReward",
    "WeightedSum",
    "tag_reward",
]
