"""Tiny Llama models (hidden 32, 2 layers) on the testbed tokenizer, saved as folders: a base and
three fine-tunes of it (base + small noise, so task vectors have mixed signs), one of them also
saved sharded, and helpers that read a folder's weights back."""

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from transformers import LlamaConfig, LlamaForCausalLM

from reasonlab.testbed.tokenizer import build_tokenizer


def tiny_llama(seed: int, intermediate: int = 64) -> LlamaForCausalLM:
    tokenizer = build_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=intermediate,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=128,
        tie_word_embeddings=False,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(seed)
    return LlamaForCausalLM(config).eval()


def save(model, path: Path, **kwargs) -> Path:
    model.save_pretrained(path, **kwargs)
    build_tokenizer().save_pretrained(path)
    return path


def weights(folder: Path) -> dict[str, torch.Tensor]:
    """Every tensor of a saved folder (single file or shards), read whole: the tests' reference."""
    out = {}
    for file in sorted(Path(folder).glob("*.safetensors")):
        out.update(load_file(file))
    return out


@pytest.fixture(scope="session")
def folders(tmp_path_factory) -> dict[str, Path]:
    """{"base", "a", "b", "c", "a_sharded", "wide"}: a base, three fine-tunes of it, a sharded copy
    of a (several files + model.safetensors.index.json), and a model whose MLP is narrower."""
    root = tmp_path_factory.mktemp("merge-models")
    base = tiny_llama(0)
    out = {"base": save(base, root / "base")}
    for i, name in enumerate("abc", start=1):
        model = tiny_llama(0)
        g = torch.Generator().manual_seed(i)
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.randn(p.shape, generator=g) * 0.02)
        out[name] = save(model, root / name)
        if name == "a":
            out["a_sharded"] = save(model, root / "a_sharded", max_shard_size="40KB")
    out["wide"] = save(tiny_llama(0, intermediate=48), root / "wide")
    return out


def variant(
    src: Path,
    dst: Path,
    config: dict | None = None,
    drop: str | None = None,
    tensors: dict[str, torch.Tensor] | None = None,
) -> Path:
    """A copy of a model folder with config.json fields changed, one tensor left out, or tensors
    replaced or added (`tensors`: name -> its new value)."""
    shutil.copytree(src, dst)
    if config:
        cfg = json.loads((dst / "config.json").read_text())
        (dst / "config.json").write_text(json.dumps(cfg | config))
    if drop or tensors:
        from safetensors.torch import save_file

        saved = load_file(dst / "model.safetensors")
        if drop:
            del saved[drop]
        saved.update(tensors or {})
        save_file(saved, dst / "model.safetensors", metadata={"format": "pt"})
    return dst
