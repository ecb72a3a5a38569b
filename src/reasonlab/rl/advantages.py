"""Advantage estimators: one scalar per response, from the rewards of its group.

Rewards come as [G, n]: G prompts, n responses each (the group). As in the paper's code (a verl
copy), every token of a response gets its response's advantage.
"""

from __future__ import annotations

import torch

from reasonlab.rl.config import ALGORITHMS


def group_std(rewards: torch.Tensor) -> torch.Tensor:
    """Unbiased standard deviation per group ([G]); a group of one has std 1 (as verl does)."""
    if rewards.shape[1] == 1:
        return torch.ones(rewards.shape[0], dtype=rewards.dtype, device=rewards.device)
    return rewards.std(dim=1, unbiased=True)


def has_variance(rewards: torch.Tensor, tol: float = 0.0) -> torch.Tensor:
    """[G] bool: the group's rewards are not all equal (variance above `tol`). Filtering on the
    variance, not the mean, also catches zero-variance groups of continuous rewards."""
    if rewards.shape[1] == 1:
        return torch.zeros(rewards.shape[0], dtype=torch.bool, device=rewards.device)
    return rewards.var(dim=1, unbiased=False) > tol


def dropped_groups(rewards: torch.Tensor, rule: str) -> torch.Tensor:
    """[G] bool: groups a rule names (--filter-groups drops them, Reinforce-Rej zeroes them).
    zero-variance: all rewards agree; all-correct / all-wrong: they agree at a reward > 0 / <= 0
    (+1 / -1 with the paper's rewards, 1 / 0 with a 0/1 verifier)."""
    agree = ~has_variance(rewards)
    if rule == "none":
        return torch.zeros_like(agree)
    if rule == "zero-variance":
        return agree
    if rule == "all-correct":
        return agree & (rewards[:, 0] > 0)
    if rule == "all-wrong":
        return agree & (rewards[:, 0] <= 0)
    raise ValueError(f"unknown group filter {rule!r}")


def grpo(
    rewards: torch.Tensor, eps: float = 1e-6, scale: str = "group", batch_std: torch.Tensor | None = None
) -> torch.Tensor:
    """(r - group mean) / (group std + eps). scale="batch" divides by the std of all rewards of
    the batch (`batch_std` when the caller passes the groups one by one), "none" does not divide
    (Dr. GRPO), as TRL's scale_rewards."""
    centred = rewards - (rewards.mean(dim=1, keepdim=True) if rewards.shape[1] > 1 else 0)
    if scale == "group":
        return centred / (group_std(rewards).unsqueeze(1) + eps)
    if scale == "batch":
        return centred / ((rewards.std() if batch_std is None else batch_std) + eps)
    if scale == "none":
        return centred
    raise ValueError(f"scale must be group, batch or none, got {scale!r}")


def raft(rewards: torch.Tensor) -> torch.Tensor:
    """max(r, 0): with -1/+1 rewards, fine-tuning on the correct responses only."""
    return rewards.clamp(min=0)


def reinforce_rej(rewards: torch.Tensor, reject: str = "zero-variance") -> torch.Tensor:
    """The raw reward, zeroed for the groups `reject` names: by default those whose rewards all
    agree (all right or all wrong). The paper's ablations reject one side only (all-correct or
    all-wrong). As in the official estimator, rejected groups keep advantage 0 and stay in the batch."""
    return rewards * (~dropped_groups(rewards, reject)).unsqueeze(1).to(rewards.dtype)


def reinforce(rewards: torch.Tensor) -> torch.Tensor:
    """The raw reward, no baseline and no filter (the paper's unstable baseline)."""
    return rewards.clone()


def reinforce_pp(
    rewards: torch.Tensor, batch_mean: torch.Tensor, batch_std: torch.Tensor, eps: float = 1e-6
) -> torch.Tensor:
    """REINFORCE++ (the meta-ability paper's specialist RL): no group baseline, the reward
    normalized over the whole batch, (r - batch mean) / (batch std + eps), as ROLL's REINFORCE++
    configuration (reward_norm=batch, KL as a loss). OpenRLHF and verl whiten per token instead,
    which weights each response by its length: the trainer's --reward-norm token passes those
    statistics (trainer.token_whitening) with eps 0."""
    return (rewards - batch_mean) / (batch_std + eps)


def advantages(algo: str, rewards: torch.Tensor, **kwargs) -> torch.Tensor:
    """[G, n] advantages of `algo` (RAFT and RAFT++ share theirs; they differ in the loss)."""
    if rewards.dim() != 2:
        raise ValueError(f"rewards must be [groups, responses], got shape {tuple(rewards.shape)}")
    if algo == "grpo":
        return grpo(rewards, **kwargs)
    if algo in ("raft", "raftpp"):
        return raft(rewards)
    if algo == "reinforce-rej":
        return reinforce_rej(rewards, **kwargs)
    if algo == "reinforce":
        return reinforce(rewards)
    if algo == "reinforce++":
        return reinforce_pp(rewards, **kwargs)
    raise ValueError(f"unknown algorithm {algo!r} (choose from {', '.join(ALGORITHMS)})")
