"""Policy losses, KL estimators and aggregation, as pure functions of [B, T] tensors.

Notation: logp are the current policy's log-probabilities of the sampled tokens, old_logp the
sampling policy's (equal to logp, detached, with one PPO epoch), ref_logp a frozen reference's,
mask 1 on response tokens, advantages one per response ([B]).
"""

from __future__ import annotations

import torch

from reasonlab.rl.config import AGGREGATIONS, KL_ESTIMATORS


def aggregate(
    per_token: torch.Tensor, mask: torch.Tensor, mode: str, max_length: int | None = None
) -> torch.Tensor:
    """token-mean: mean over all response tokens of the batch (the paper, DAPO). seq-mean: mean over
    responses of each response's token mean (GRPO as first written). sum-norm: sum over all tokens
    divided by batch size x max_length, a constant (Dr. GRPO), so long responses are not shrunk."""
    mask = mask.to(per_token.dtype)
    if mode == "token-mean":
        return (per_token * mask).sum() / mask.sum().clamp(min=1)
    if mode == "seq-mean":
        per_seq = (per_token * mask).sum(-1) / mask.sum(-1).clamp(min=1)
        return per_seq.mean()
    if mode == "sum-norm":
        width = max_length if max_length is not None else per_token.shape[-1]
        return (per_token * mask).sum() / (per_token.shape[0] * width)
    raise ValueError(f"unknown aggregation {mode!r} (choose from {', '.join(AGGREGATIONS)})")


def clipped_surrogate(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    advantages: torch.Tensor,
    clip_low: float = 0.2,
    clip_high: float = 0.2,
    dual_clip: float | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token max(-A s, -A clip(s, 1 - low, 1 + high)) with s = exp(logp - old_logp), and
    whether each token was clipped (the clipped branch was the larger). With `dual_clip` c, a
    negative advantage's loss is capped at -A c (dual-clip PPO, as verl), so a token whose ratio
    has grown far past 1 cannot dominate."""
    ratio = torch.exp(logp - old_logp)
    a = advantages.unsqueeze(-1)
    unclipped = -a * ratio
    clipped = -a * ratio.clamp(1 - clip_low, 1 + clip_high)
    loss = torch.maximum(unclipped, clipped)
    if dual_clip is not None:
        loss = torch.where(a < 0, torch.minimum(loss, -a * dual_clip), loss)
    return loss, clipped > unclipped


def likelihood_loss(logp: torch.Tensor, advantages: torch.Tensor) -> torch.Tensor:
    """Per-token -A log pi: RAFT's plain loss (supervised fine-tuning weighted by max(r, 0))."""
    return -advantages.unsqueeze(-1) * logp


def kl_estimate(
    logp: torch.Tensor, ref_logp: torch.Tensor, kind: str = "k3", clamp: float = 10.0
) -> torch.Tensor:
    """Per-token estimate of KL(pi || ref) from samples of pi (Schulman's k1/k2/k3), clamped to
    +-clamp as verl does. k3 = exp(ref - logp) - (ref - logp) - 1 is verl's "low_var_kl"."""
    # Clamped before exp (as verl): exp of a huge log-ratio is inf, and inf x 0 (the clamp's
    # gradient) is a NaN gradient.
    log_ratio = (logp - ref_logp).clamp(-20.0, 20.0)
    if kind == "k1":
        kl = log_ratio
    elif kind == "k2":
        kl = 0.5 * log_ratio**2
    elif kind == "k3":
        kl = torch.exp(-log_ratio) + log_ratio - 1
    else:
        raise ValueError(f"unknown KL estimator {kind!r} (choose from {', '.join(KL_ESTIMATORS)})")
    return kl.clamp(-clamp, clamp)
