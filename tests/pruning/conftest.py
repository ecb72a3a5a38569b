"""Tiny models for the pruning tests: the shipped testbed:draft (Llama), and Qwen2, Mistral and GPT-2
models built here on the testbed tokenizer and saved as local folders."""

import pytest
import torch
from transformers import (
    GPT2Config,
    GPT2LMHeadModel,
    MistralConfig,
    MistralForCausalLM,
    Qwen2Config,
    Qwen2ForCausalLM,
)

from reasonlab.models.loading import load_model
from reasonlab.testbed.tokenizer import build_tokenizer

PROMPT = "<|user|>Compute 12+7*3 from left to right, modulo 100.<|assistant|><think>\n"


def _save(model, path):
    tokenizer = build_tokenizer()
    model.eval()
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def small_config(cls, **extra):
    tokenizer = build_tokenizer()
    return cls(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=5,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        **extra,
    )


def build(cls_model, config, seed=0):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return cls_model(config)


@pytest.fixture(scope="session")
def qwen2_dir(tmp_path_factory):
    """A 5-layer Qwen2-architecture model, hidden size 32."""
    return str(_save(build(Qwen2ForCausalLM, small_config(Qwen2Config)), tmp_path_factory.mktemp("qwen2")))


@pytest.fixture(scope="session")
def mistral_dir(tmp_path_factory):
    """A 5-layer Mistral-architecture model with an 8-token sliding window."""
    config = small_config(MistralConfig, sliding_window=8)
    return str(_save(build(MistralForCausalLM, config), tmp_path_factory.mktemp("mistral")))


@pytest.fixture(scope="session")
def mixed_qwen2_dir(tmp_path_factory):
    """Qwen2 whose layers 2..4 use an 8-token sliding window and 0..1 full attention."""
    config = small_config(Qwen2Config, use_sliding_window=True, sliding_window=8, max_window_layers=2)
    assert config.layer_types == ["full_attention"] * 2 + ["sliding_attention"] * 3
    return str(_save(build(Qwen2ForCausalLM, config), tmp_path_factory.mktemp("qwen2-mixed")))


@pytest.fixture(scope="session")
def gpt2_dir(tmp_path_factory):
    """An architecture without model.model.layers."""
    tokenizer = build_tokenizer()
    config = GPT2Config(vocab_size=len(tokenizer), n_embd=32, n_layer=2, n_head=2, n_positions=128)
    return str(_save(build(GPT2LMHeadModel, config), tmp_path_factory.mktemp("gpt2")))


@pytest.fixture
def draft():
    """A fresh copy of testbed:draft (tests prune it in place)."""
    return load_model("testbed:draft")


def prompt_ids(tokenizer) -> torch.Tensor:
    return torch.tensor([tokenizer.encode(PROMPT, add_special_tokens=False)])
