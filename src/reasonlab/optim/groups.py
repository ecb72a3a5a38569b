"""Param groups for GaLoreAdamW from a model: which weights are projected, and how.

By default the Linear weights of attention and MLP blocks (Llama-style names) are projected and
everything else (embeddings, norms, the output head) is plain AdamW. With projector="cross_head",
attention weights share one head's basis across heads (head counts read from the model config)
and MLP weights, which have no heads, use randomized subspace iteration.
"""

from __future__ import annotations

from typing import Any

import torch

ATTENTION = ("q_proj", "k_proj", "v_proj", "o_proj")
MLP = ("gate_proj", "up_proj", "down_proj")
DEFAULT_TARGETS = ATTENTION + MLP


def check_not_flattened(model: torch.nn.Module) -> None:
    """FSDP and DeepSpeed ZeRO flatten weights into 1-D shards: a low-rank basis of a flat shard is
    meaningless, so refuse rather than train wrongly."""
    kind = type(model).__name__
    if "FullyShardedDataParallel" in kind or kind.startswith("DeepSpeed") or kind == "FSDPModule":
        raise RuntimeError(
            f"GaLoreAdamW cannot run on a {kind}-wrapped model: FSDP and DeepSpeed ZeRO flatten "
            "weights, so there is no matrix to project. Use DDP (accelerate's default) instead."
        )
    for name, p in model.named_parameters():
        if getattr(p, "_is_flat_param", False) or hasattr(p, "ds_id") or hasattr(p, "ds_numel"):
            raise RuntimeError(
                f"parameter {name} is an FSDP/ZeRO flat parameter: GaLoreAdamW needs unflattened "
                "2-D weights (use DDP)"
            )


def galore_param_groups(
    model: torch.nn.Module,
    rank: int = 128,
    update_proj_gap: int = 200,
    scale: float = 0.25,
    projector: str = "svd",
    target_modules: tuple[str, ...] = DEFAULT_TARGETS,
    weight_decay: float = 0.0,
    **options: Any,
) -> list[dict[str, Any]]:
    """Groups for `GaLoreAdamW(groups, lr=...)`; `options` go to every projected group (oversample,
    power_iters, residual_density, head_choice, seed, ...)."""
    check_not_flattened(model)
    module = getattr(model, "module", model)  # DDP wrapper
    config = getattr(module, "config", None)
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    groups: dict[tuple, dict[str, Any]] = {}
    plain: list[torch.nn.Parameter] = []
    for name, mod in module.named_modules():
        if not isinstance(mod, torch.nn.Linear) or not any(
            name.endswith(t) or f".{t}." in name for t in target_modules
        ):
            continue
        short = name.rsplit(".", 1)[-1]
        extra: dict[str, Any] = {"projector": projector}
        if projector == "cross_head":
            if short in ATTENTION:
                if text is None:
                    raise ValueError("cross_head needs the model config for its head counts")
                heads = text.num_attention_heads
                if short in ("k_proj", "v_proj"):
                    heads = getattr(text, "num_key_value_heads", None) or heads
                extra.update(num_heads=heads, head_axis=1 if short == "o_proj" else 0)
            else:
                extra["projector"] = "rsi"
        key = tuple(sorted(extra.items()))
        group = groups.setdefault(
            key,
            {
                "params": [],
                "rank": rank,
                "update_proj_gap": update_proj_gap,
                "scale": scale,
                "weight_decay": weight_decay,
                **options,
                **extra,
            },
        )
        group["params"].append(mod.weight)
    projected = {id(p) for g in groups.values() for p in g["params"]}
    plain = [p for p in module.parameters() if p.requires_grad and id(p) not in projected]
    if not projected:
        raise ValueError(f"no Linear weights matched target_modules={target_modules}")
    return [{"params": plain, "weight_decay": weight_decay}, *groups.values()]
