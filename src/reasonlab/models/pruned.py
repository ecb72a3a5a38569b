"""Drop attention sub-blocks, MLP sub-blocks or whole decoder layers of a transformers model, by
module replacement, and save or load the result.

Llama, Qwen2 and Mistral models keep their decoder layers at `model.model.layers`, each with
`self_attn`, `mlp`, `input_layernorm` and `post_attention_layernorm`; that is the only structure
relied on, so no model class is forked or edited. A dropped sub-block becomes a module that adds
nothing to the residual stream (its output is zeros). A dropped attention keeps no KV cache entry:
the remaining attention modules are renumbered 0..m-1 (`layer_idx`), so the cache holds m
contiguous layers, the first cached layer is never an empty one (transformers reads the cached
length and the mask sizes from it), and an engine that walks `cache.layers` finds no holes. A
dropped layer leaves the ModuleList, and `config.num_hidden_layers` / `config.layer_types` follow.

Saving: whole-layer drops give a plain Hugging Face folder. Sub-block drops save the remaining
weights and `pruning_plan.json`; `from_folder` (called by models/loading.py) applies the plan after
`from_pretrained`, so every command that loads a model accepts the pruned folder.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from reasonlab.core.errors import ReasonlabError
from reasonlab.models.blocks import BLOCKS

PLAN_FILE = "pruning_plan.json"
LAYER_PARTS = ("self_attn", "mlp", "input_layernorm", "post_attention_layernorm")


class DroppedAttention(nn.Module):
    """A removed attention sub-block: zeros, so the residual passes through; no KV cache entry."""

    def forward(self, hidden_states: torch.Tensor, *args: Any, **kwargs: Any) -> tuple[torch.Tensor, None]:
        return torch.zeros_like(hidden_states), None


class DroppedMLP(nn.Module):
    """A removed MLP sub-block: zeros, so the residual passes through."""

    def forward(self, hidden_states: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        return torch.zeros_like(hidden_states)


class SkippedLayer(nn.Module):
    """A whole decoder layer removed for one forward pass (pruning scores): its input goes out as
    it came in. Permanent removals take the layer out of the ModuleList instead."""

    def forward(self, hidden_states: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        return hidden_states


@dataclass
class PruningPlan:
    """Blocks to drop, by decoder-layer index in the numbering of the model the plan is applied to."""

    attention: list[int] = field(default_factory=list)
    mlp: list[int] = field(default_factory=list)
    layers: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, block: str, indices: list[int]) -> PruningPlan:
        """The plan that drops `indices` of one kind of block (attention, mlp or layer)."""
        if block not in BLOCKS:
            raise ReasonlabError(f"unknown block kind {block!r} (choose from {', '.join(BLOCKS)})")
        return cls(**{"layers" if block == "layer" else block: sorted(indices)})

    @property
    def empty(self) -> bool:
        return not (self.attention or self.mlp or self.layers)

    def to_json(self) -> dict[str, list[int]]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any], where: str) -> PruningPlan:
        try:
            plan = cls(**{k: [int(i) for i in data.get(k, [])] for k in ("attention", "mlp", "layers")})
        except (TypeError, ValueError, AttributeError) as e:
            raise ReasonlabError(f"{where} is not a pruning plan ({e})") from None
        if set(data) - {"attention", "mlp", "layers"}:
            extra = ", ".join(sorted(set(data) - {"attention", "mlp", "layers"}))
            raise ReasonlabError(f"{where} is not a pruning plan: unknown keys {extra}")
        return plan


def decoder_layers(model: nn.Module) -> nn.ModuleList:
    """The decoder layers of a Llama/Qwen2/Mistral-style model, or a one-line error naming the model."""
    layers = getattr(getattr(model, "model", None), "layers", None)
    if (
        isinstance(layers, nn.ModuleList)
        and len(layers) > 0
        and all(all(hasattr(layer, part) for part in LAYER_PARTS) for layer in layers)
    ):
        return layers
    raise ReasonlabError(
        f"cannot prune {type(model).__name__}: no decoder layers at model.model.layers with "
        f"{', '.join(LAYER_PARTS)} (Llama, Qwen2 and Mistral architectures are supported)"
    )


def is_dropped(layer: nn.Module, block: str) -> bool:
    """Whether one layer's attention or MLP sub-block was already dropped."""
    if block == "attention":
        return isinstance(layer.self_attn, DroppedAttention)
    if block == "mlp":
        return isinstance(layer.mlp, DroppedMLP)
    return isinstance(layer, SkippedLayer)


def current_plan(model: nn.Module) -> PruningPlan:
    """The sub-block drops a model carries, in its own numbering (removed layers are simply gone)."""
    layers = decoder_layers(model)
    return PruningPlan(
        attention=[i for i, layer in enumerate(layers) if is_dropped(layer, "attention")],
        mlp=[i for i, layer in enumerate(layers) if is_dropped(layer, "mlp")],
    )


def _check_indices(plan: PruningPlan, count: int) -> None:
    for name, indices in (("attention", plan.attention), ("mlp", plan.mlp), ("layers", plan.layers)):
        bad = [i for i in indices if not 0 <= i < count]
        if bad:
            raise ReasonlabError(
                f"pruning plan: {name} index {bad[0]} out of range (the model has {count} layers)"
            )
        if len(set(indices)) != len(indices):
            raise ReasonlabError(f"pruning plan: {name} lists a layer twice")
    if len(plan.layers) >= count:
        raise ReasonlabError(f"pruning plan removes all {count} decoder layers")


def apply_plan(model: nn.Module, plan: PruningPlan) -> nn.Module:
    """Drop the plan's blocks from `model` in place (and return it), keeping its KV cache indexing
    right: sub-blocks first, then whole layers, then the attention modules are renumbered. The plan
    is checked whole before anything changes."""
    layers = decoder_layers(model)
    _check_indices(plan, len(layers))
    gone = set(plan.layers)
    remaining = [i for i in range(len(layers)) if i not in gone]
    types = getattr(model.config, "layer_types", None)
    if types is not None:
        no_attention = set(plan.attention) | {i for i, x in enumerate(layers) if is_dropped(x, "attention")}
        _check_cache_slots(model, types, [i for i in remaining if i not in no_attention], remaining)
    for i in plan.attention:
        layers[i].self_attn = DroppedAttention()
    for i in plan.mlp:
        layers[i].mlp = DroppedMLP()
    if gone:
        model.model.layers = nn.ModuleList(layers[i] for i in remaining)
        inner = getattr(model.model, "config", model.config)
        for config in [model.config] + ([inner] if inner is not model.config else []):
            config.num_hidden_layers = len(remaining)
            if getattr(config, "layer_types", None) is not None:
                config.layer_types = [config.layer_types[i] for i in remaining]
    renumber_attention(model)
    return model


def _check_cache_slots(model: nn.Module, types: list[str], kept: list[int], remaining: list[int]) -> None:
    """The cache is built from `config.layer_types` (full, sliding), one cache layer per index, so
    the c-th remaining attention must be of the type of the c-th remaining layer. With one type for
    every layer that always holds; a model that mixes them and loses an attention block before a
    change of type is refused. Indices are the model's before the plan."""
    for c, i in enumerate(kept):
        if types[remaining[c]] != types[i]:
            raise ReasonlabError(
                f"cannot drop these attention blocks of {type(model).__name__}: it mixes "
                f"{' and '.join(sorted(set(types)))} layers, and layer {i} ({types[i]}) would use the KV "
                f"cache slot of a {types[remaining[c]]} layer; drop whole layers instead"
            )


def renumber_attention(model: nn.Module) -> None:
    """Give the remaining attention modules KV cache indices 0..m-1 in layer order."""
    kept = [layer for layer in decoder_layers(model) if not is_dropped(layer, "attention")]
    for c, layer in enumerate(kept):
        layer.self_attn.layer_idx = c


@contextmanager
def blocks_removed(model: nn.Module, block: str, indices: list[int]):
    """Temporarily drop blocks for forward passes without a KV cache (pruning scores); the original
    modules are back when the block ends, whatever happens inside it."""
    layers = decoder_layers(model)
    saved = []
    try:
        for i in indices:
            if block == "attention":
                saved.append((i, "self_attn", layers[i].self_attn))
                layers[i].self_attn = DroppedAttention()
            elif block == "mlp":
                saved.append((i, "mlp", layers[i].mlp))
                layers[i].mlp = DroppedMLP()
            else:
                saved.append((i, None, layers[i]))
                layers[i] = SkippedLayer()
        yield model
    finally:
        for i, part, module in reversed(saved):
            if part is None:
                layers[i] = module
            else:
                setattr(layers[i], part, module)


def save_pruned(model: nn.Module, tokenizer, folder: str | Path) -> None:
    """Save a pruned model as a Hugging Face folder (with its tokenizer). Sub-block drops also write
    pruning_plan.json, which `from_folder` applies when the folder is loaded."""
    folder = Path(folder)
    model.save_pretrained(folder)
    if tokenizer is not None:
        tokenizer.save_pretrained(folder)
    plan = current_plan(model)
    if not plan.empty:
        (folder / PLAN_FILE).write_text(json.dumps(plan.to_json(), indent=2) + "\n")


def read_plan(folder: str | Path) -> PruningPlan | None:
    """The pruning plan a model folder records, or None for an ordinary folder."""
    path = Path(folder) / PLAN_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ReasonlabError(f"{path} is not valid JSON ({e})") from None
    if not isinstance(data, dict):
        raise ReasonlabError(f"{path} is not a pruning plan (expected an object)")
    return PruningPlan.from_json(data, str(path))


def from_folder(path: str | Path, dtype: Any = "auto") -> nn.Module:
    """`AutoModelForCausalLM.from_pretrained`, then the folder's pruning plan if it has one. The
    weights the folder lacks must be exactly those of the blocks its plan drops."""
    from transformers import AutoModelForCausalLM

    from reasonlab.models.loading import quiet_transformers

    plan = read_plan(path)
    if plan is None:
        return AutoModelForCausalLM.from_pretrained(path, dtype=dtype, local_files_only=True)
    if plan.layers:
        raise ReasonlabError(
            f"{Path(path) / PLAN_FILE} lists whole layers: a saved folder holds them removed already"
        )
    with quiet_transformers():  # the dropped blocks' weights are missing: checked below
        model, info = AutoModelForCausalLM.from_pretrained(
            path, dtype=dtype, local_files_only=True, output_loading_info=True
        )
    before = set(model.state_dict())
    apply_plan(model, plan)
    expected = before - set(model.state_dict())
    missing, unexpected = set(info.get("missing_keys", ())), set(info.get("unexpected_keys", ()))
    if missing != expected or unexpected:
        odd = sorted((missing ^ expected) | unexpected)
        raise ReasonlabError(
            f"{path} does not match its {PLAN_FILE}: {len(odd)} weights differ from what the plan "
            f"drops (first: {odd[0]})"
        )
    return model
