"""A randomly initialised small Llama on the testbed tokenizer.

Engine speed does not depend on training, so engine tests and benchmarks use this; it is also the
demo model until trained testbed weights ship.
"""

from __future__ import annotations

import torch
from transformers import LlamaConfig, LlamaForCausalLM

from reasonlab.testbed.tokenizer import build_tokenizer


def random_llama_config(
    vocab_size: int,
    hidden: int = 256,
    layers: int = 4,
    heads: int = 8,
    kv_heads: int = 4,
    max_positions: int = 2048,
) -> LlamaConfig:
    return LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        intermediate_size=hidden * 8 // 3 // 16 * 16,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        max_position_embeddings=max_positions,
        tie_word_embeddings=True,
    )


def random_llama(seed: int = 0, **config_kwargs):
    """(model, tokenizer): same weights for the same seed and config, on any machine."""
    tokenizer = build_tokenizer()
    config = random_llama_config(len(tokenizer), **config_kwargs)
    config.pad_token_id = tokenizer.pad_token_id
    config.eos_token_id = tokenizer.eos_token_id
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(config)
    model.eval()
    return model, tokenizer
