"""Next-token selection from logits: greedy, temperature, top-k, top-p; and logprobs."""

from __future__ import annotations

import torch

from reasonlab.engines.base import SamplingParams


def next_tokens(
    logits: torch.Tensor,
    params: SamplingParams,
    generator: torch.Generator | None | list[torch.Generator | None],
) -> torch.Tensor:
    """One token per row of `logits` [B, V] (float32). With a list of generators, row i draws from
    generator i (None: torch's global one), so a row's draws do not depend on the other rows."""
    if params.temperature == 0:
        return logits.argmax(dim=-1)
    logits = logits / params.temperature
    if params.top_k > 0 and params.top_k < logits.shape[-1]:
        kth = torch.topk(logits, params.top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if params.top_p < 1.0:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        probs = sorted_logits.softmax(dim=-1)
        # Drop a token when the mass before it already reaches top_p; the first token always stays.
        drop = (probs.cumsum(dim=-1) - probs) >= params.top_p
        sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
        logits = torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)
    probs = logits.softmax(dim=-1)
    if not isinstance(generator, list):
        return torch.multinomial(probs, 1, generator=generator).squeeze(-1)
    return torch.cat([torch.multinomial(probs[i : i + 1], 1, generator=g) for i, g in enumerate(generator)])[
        :, 0
    ]


def token_logprobs(logits: torch.Tensor, chosen: torch.Tensor, top: int) -> list[dict[int, float]]:
    """Per row: {token: logprob} for the chosen token and the `top` most likely, from raw logits."""
    logp = logits.log_softmax(dim=-1)
    picked = logp.gather(-1, chosen[:, None]).squeeze(-1).tolist()
    rows = [{int(t): float(lp)} for t, lp in zip(chosen.tolist(), picked)]
    if top > 0:
        values, ids = torch.topk(logp, top, dim=-1)
        for row, vs, ts in zip(rows, values.tolist(), ids.tolist()):
            for v, t in zip(vs, ts):
                row.setdefault(int(t), float(v))
    return rows
