"""What a pruned model costs and how well it still models text: held-out perplexity, KV-cache bytes
per token and decode tokens per second, measured on the model as it runs (not from its config), so
a dropped attention block shows up as the cache it no longer writes.
"""

from __future__ import annotations

import math
import time

import torch

from reasonlab.models.cache import cache_argument
from reasonlab.pruning.nll import calibration_nll


def perplexity(model, texts: list[list[int]], pad_id: int = 0, batch_size: int = 8) -> float:
    """exp of the mean next-token NLL over the texts (every token but each text's first)."""
    return math.exp(calibration_nll(model, texts, pad_id, batch_size))


def _cache_bytes(cache) -> int:
    """Bytes held by a transformers cache's key and value tensors (any layout: layers or tuples)."""
    if hasattr(cache, "layers"):
        tensors = [
            t
            for layer in cache.layers
            for t in (getattr(layer, "keys", None), getattr(layer, "values", None))
        ]
    else:
        tensors = [t for pair in cache for t in pair]
    return sum(t.numel() * t.element_size() for t in tensors if isinstance(t, torch.Tensor))


@torch.no_grad()
def kv_bytes_per_token(model, tokens: int = 16) -> float:
    """KV-cache bytes one token adds: a forward of `tokens` tokens with a cache, its tensors' bytes
    divided by `tokens`. Layers whose attention was dropped write nothing."""
    from transformers import DynamicCache

    device = next(model.parameters()).device
    cache = DynamicCache()
    model(
        input_ids=torch.ones(1, tokens, dtype=torch.long, device=device),
        use_cache=True,
        **{cache_argument(model): cache},
    )
    return _cache_bytes(cache) / tokens


@torch.no_grad()
def decode_tokens_per_second(model, prompt: list[int], new_tokens: int = 64, repeats: int = 3) -> float:
    """Greedy decode speed with the KV cache, batch 1: `new_tokens` tokens after a prefill of
    `prompt`, the fastest of `repeats` runs (so the first, which warms up, rarely counts). End-of-
    sequence tokens do not stop it, so every model decodes the same number of tokens."""
    from transformers import DynamicCache

    device = next(model.parameters()).device
    cache_arg = cache_argument(model)
    best = math.inf
    for _ in range(max(repeats, 1)):
        cache = DynamicCache()
        logits = model(input_ids=torch.tensor([prompt], device=device), **{cache_arg: cache}).logits
        start = time.perf_counter()
        for _ in range(new_tokens):
            logits = model(input_ids=logits[:, -1:].argmax(-1), **{cache_arg: cache}).logits
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        best = min(best, time.perf_counter() - start)
    return new_tokens / best


def footprint(
    model,
    heldout: list[list[int]],
    prompt: list[int],
    decode_tokens: int,
    pad_id: int = 0,
    batch_size: int = 8,
) -> dict[str, float | None]:
    """Held-out perplexity (None without held-out texts), KV bytes per token and decode tokens/s
    (None when decode_tokens is 0) of the model as it is now."""
    return {
        "heldout_perplexity": perplexity(model, heldout, pad_id, batch_size) if heldout else None,
        "kv_bytes_per_token": kv_bytes_per_token(model),
        "decode_tokens_per_s": decode_tokens_per_second(model, prompt, decode_tokens)
        if decode_tokens
        else None,
    }
