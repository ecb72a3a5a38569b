"""Teacher-forced scoring: per-token log-probabilities and entropies of given completions.

RL needs them for the policy and the reference (with gradients for the policy), the PRM scores steps
from them, the reward-model probe compares them before and after a perturbation, and entropy pruning
ranks blocks by them. One batched forward pass per batch serves all of them.

Layout, as TRL does it: prompts left-padded, completions right-padded, so every completion starts at
the same column and its logits are one slice. Positions come from the attention mask, so a padded
row scores exactly as it would alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch


@dataclass
class PackedBatch:
    input_ids: torch.Tensor  # [B, P + C]
    attention_mask: torch.Tensor  # [B, P + C]
    completion_mask: torch.Tensor  # [B, C]: 1 on completion tokens, 0 on padding
    prompt_width: int  # P: completions start at this column


def pack(
    prompts: Sequence[Sequence[int]], completions: Sequence[Sequence[int]], pad_id: int, device=None
) -> PackedBatch:
    """Left-pad the prompts and right-pad the completions of one batch."""
    if len(prompts) != len(completions):
        raise ValueError(f"{len(prompts)} prompts for {len(completions)} completions")
    if any(len(p) == 0 for p in prompts):
        raise ValueError(
            "every prompt needs at least one token (the first completion token is predicted from it)"
        )
    width_p, width_c = max(len(p) for p in prompts), max((len(c) for c in completions), default=0)
    ids = torch.full((len(prompts), width_p + width_c), pad_id, dtype=torch.long)
    attention = torch.zeros_like(ids)
    completion_mask = torch.zeros((len(prompts), width_c), dtype=torch.long)
    for row, (p, c) in enumerate(zip(prompts, completions)):
        ids[row, width_p - len(p) : width_p] = torch.tensor(list(p), dtype=torch.long)
        ids[row, width_p : width_p + len(c)] = torch.tensor(list(c), dtype=torch.long)
        attention[row, width_p - len(p) : width_p + len(c)] = 1
        completion_mask[row, : len(c)] = 1
    return PackedBatch(ids.to(device), attention.to(device), completion_mask.to(device), width_p)


@dataclass
class TokenScores:
    """Per completion token; zero where `mask` is 0. Differentiable when computed with grad."""

    logprobs: torch.Tensor  # [B, C]
    entropies: torch.Tensor  # [B, C]
    mask: torch.Tensor  # [B, C]


def forward_scores(
    model, batch: PackedBatch, temperature: float = 1.0, with_entropy: bool = True, entropy_grad: bool = True
) -> TokenScores:
    """Log-probabilities (and entropies) of each completion token under `model`, from one forward
    pass. Logits are divided by `temperature` first, as the sampler did when it drew the tokens.
    entropy_grad=False computes the entropies outside the graph (for logging: saves a [B, C, V]
    tensor kept for backward)."""
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0 for scoring, got {temperature}")
    positions = (batch.attention_mask.cumsum(-1) - 1).clamp(min=0)
    logits = model(
        input_ids=batch.input_ids, attention_mask=batch.attention_mask, position_ids=positions
    ).logits
    width_c = batch.completion_mask.shape[1]
    # logits at column t predict the token at t + 1
    logits = logits[:, batch.prompt_width - 1 : batch.prompt_width - 1 + width_c].float() / temperature
    log_p = torch.log_softmax(logits, dim=-1)
    targets = batch.input_ids[:, batch.prompt_width :]
    mask = batch.completion_mask
    logprobs = log_p.gather(-1, targets.unsqueeze(-1)).squeeze(-1) * mask
    if with_entropy:
        lp = log_p if entropy_grad else log_p.detach()
        entropies = -(lp.exp() * lp).sum(-1) * mask
    else:
        entropies = torch.zeros_like(logprobs)
    return TokenScores(logprobs, entropies, mask)


@dataclass
class CompletionScores:
    """One completion's per-token figures as plain lists."""

    logprobs: list[float]
    entropies: list[float]

    @property
    def total_logprob(self) -> float:
        return sum(self.logprobs)


@torch.no_grad()
def score_completions(
    model,
    prompts: Sequence[Sequence[int]],
    completions: Sequence[Sequence[int]],
    pad_id: int,
    batch_size: int = 16,
    temperature: float = 1.0,
) -> list[CompletionScores]:
    """Score many completions in batches of similar length (less padding); results in input order."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    device = next(model.parameters()).device
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]) + len(completions[i]))
    out: list[CompletionScores | None] = [None] * len(prompts)
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        batch = pack([prompts[i] for i in rows], [completions[i] for i in rows], pad_id, device)
        scores = forward_scores(model, batch, temperature)
        for k, i in enumerate(rows):
            n = len(completions[i])
            out[i] = CompletionScores(scores.logprobs[k, :n].tolist(), scores.entropies[k, :n].tolist())
    return out  # type: ignore[return-value]
