"""`reasonlab merge`: merge models of one architecture in parameter space (mergekit's linear, task
arithmetic, TIES, DARE) into a new Hugging Face folder.

The merge is streamed tensor by tensor (merging/stream.py), written into `<out>.partial` and renamed
when complete; merge_config.json records the method, its settings, the inputs (a model that is the
base is listed under skipped_models: mergekit leaves it out) and what was written. MergeConfig,
whose fields are the command's flags, imports neither torch nor transformers.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from reasonlab.core.errors import ReasonlabError
from reasonlab.merging.methods import METHODS, RESCALES, method_named

DTYPES = ("auto", "float32", "bfloat16", "float16")
_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}
_UNITS |= {"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def parse_size(text: str) -> int:
    """Bytes of a size such as "5GB", "500MB" or "2GiB" (decimal units as save_pretrained's
    max_shard_size; a plain number is bytes)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]I?B|B)?\s*", text.upper())
    if not match or float(match.group(1)) <= 0:
        raise ReasonlabError(f"shard_size expects a size such as 5GB or 500MB, got {text!r}")
    return int(float(match.group(1)) * _UNITS[match.group(2) or ""])


@dataclass
class MergeConfig:
    """A merge: which models, how weighted, by which method (mergekit's definitions and defaults)."""

    models: list[str] = field(
        default_factory=list,
        metadata={
            "help": "Models to merge, comma-separated: local Hugging Face folders (safetensors) or "
            "testbed:<name>, all of one architecture.",
            "required": True,
            "expects": "model folders or testbed:<name> handles",
        },
    )
    weights: list[float] | None = field(
        default=None,
        metadata={"help": "One weight per model, comma-separated (default 1 each).", "expects": "numbers"},
    )
    method: str = field(
        default="linear", metadata={"help": f"Merge method: {', '.join(METHODS)} (as mergekit defines them)."}
    )
    base: str | None = field(
        default=None,
        metadata={
            "help": "Base model the task vectors (model - base) are taken against: required by every "
            "method but linear. Its config and tokenizer are copied (else the first model's)."
        },
    )
    density: list[float] = field(
        default_factory=lambda: [1.0],
        metadata={
            "help": "Fraction of each task vector kept, in (0, 1]: one value, or one per model. ties: the "
            "largest magnitudes; dare_*: each entry with this probability. Default 1 (mergekit's).",
            "expects": "fractions like 0.5 or 0.5,0.3",
        },
    )
    normalize: bool | None = field(
        default=None,
        metadata={
            "help": "Divide by the summed weights (ties: of the models agreeing with the elected sign). "
            "Default: the method's in mergekit (on for linear and ties, off for the others)."
        },
    )
    lambda_: float = field(
        default=1.0,
        metadata={"help": "Scale of the merged task vector: base + lambda * merged.", "flag": "--lambda"},
    )
    rescale: str | None = field(
        default=None,
        metadata={
            "help": "Scaling of sparsified task vectors: l1 (back to their L1 norm, mergekit's default for "
            "dare_*), density (by 1/density, the DARE paper), none (mergekit's default for ties)."
        },
    )
    seed: int = field(default=0, metadata={"help": "Seed of the DARE drops (per tensor and model)."})
    dtype: str = field(
        default="auto",
        metadata={
            "help": "Dtype of the merged weights: auto (each tensor's in the base, else the first model), "
            "float32, bfloat16 or float16. Arithmetic is float32 either way."
        },
    )
    shard_size: str = field(
        default="5GB", metadata={"help": "Largest safetensors file written, e.g. 5GB or 500MB."}
    )
    device: str = field(default="cpu", metadata={"help": "Where tensors are merged: cpu, cuda or cuda:1."})

    def resolved_weights(self) -> list[float]:
        return list(self.weights) if self.weights is not None else [1.0] * len(self.models)

    def resolved_densities(self) -> list[float]:
        return list(self.density) * len(self.models) if len(self.density) == 1 else list(self.density)

    def resolved_normalize(self) -> bool:
        return method_named(self.method).normalize if self.normalize is None else self.normalize

    def resolved_rescale(self) -> str:
        return method_named(self.method).rescale if self.rescale is None else self.rescale

    def validate(self) -> MergeConfig:
        method = method_named(self.method)
        if not self.models:
            raise ReasonlabError("models is empty: give the models to merge, comma-separated")
        n = len(self.models)
        weights = self.resolved_weights()
        if len(weights) != n:
            raise ReasonlabError(f"weights has {len(weights)} values for {n} models: give one per model")
        if not all(math.isfinite(w) for w in weights):
            raise ReasonlabError(f"weights must be finite, got {weights}")
        if len(self.density) not in (1, n):
            raise ReasonlabError(
                f"density has {len(self.density)} values for {n} models: give one, or one per model"
            )
        for d in self.density:
            if not 0 < d <= 1:
                raise ReasonlabError(f"density must be in (0, 1], got {d}")
        if method.sparsify is None and any(d != 1 for d in self.density):
            raise ReasonlabError(f"density applies to ties, dare_linear and dare_ties, not {method.name}")
        if method.uses_base and not self.base:
            raise ReasonlabError(f"{method.name} takes task vectors against a base model: give --base")
        if not method.uses_base and self.base:
            raise ReasonlabError(
                "linear merges --models only; --base is for task_arithmetic, ties and dare_* (to include "
                "the base, list it in --models with a weight)"
            )
        if method.name == "linear" and self.resolved_normalize() and not sum(weights) > 0:
            raise ReasonlabError(
                f"weights sum to {sum(weights):g}: a normalized linear merge divides by that sum, which "
                "must be positive (or pass --no-normalize)"
            )
        if not math.isfinite(self.lambda_):
            raise ReasonlabError(f"lambda_ must be finite, got {self.lambda_}")
        if self.rescale is not None and self.rescale not in RESCALES:
            raise ReasonlabError(f"unknown rescale {self.rescale!r} (choose from {', '.join(RESCALES)})")
        if self.dtype not in DTYPES:
            raise ReasonlabError(f"unknown dtype {self.dtype!r} (choose from {', '.join(DTYPES)})")
        parse_size(self.shard_size)
        return self

    def recipe(self):
        """The per-tensor recipe (merging/combine.py), defaults resolved."""
        from reasonlab.merging.combine import Recipe

        return Recipe(
            method=method_named(self.method),
            weights=tuple(self.resolved_weights()),
            densities=tuple(self.resolved_densities()),
            normalize=self.resolved_normalize(),
            lambda_=self.lambda_,
            rescale=self.resolved_rescale(),
            seed=self.seed,
        )


def _check_device(device: str) -> None:
    import torch

    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ReasonlabError(f"device {device!r} requested but CUDA is not available")


def _shares(weights: list[float], normalize: bool) -> list[float]:
    total = sum(weights)
    if not normalize:
        return weights
    return [w / (total if abs(total) >= 1e-8 else 1.0) for w in weights]


def run_merge(
    cfg: MergeConfig, out: str | Path, overwrite: bool = False, progress: bool = True
) -> dict[str, Any]:
    """Merge cfg.models into the folder `out` (built in <out>.partial, renamed when complete) and
    return what merge_config.json records. Every input is checked before anything is written."""
    from reasonlab.core.progress import progress_bar
    from reasonlab.core.runs import data_folder, write_json
    from reasonlab.merging.checkpoints import Checkpoint
    from reasonlab.merging.stream import check_inputs, is_base, merge_checkpoints, without_base

    cfg.validate()
    listed = [Checkpoint.open(name) for name in cfg.models]
    base = Checkpoint.open(cfg.base) if cfg.base else None
    full = cfg.recipe()
    recipe, models = without_base(full, listed, base)  # mergekit merges the non-base models only
    reference = check_inputs(models, base)
    out = Path(out)
    for ckpt in [*listed, *([base] if base else [])]:
        if out.resolve() == ckpt.path.resolve():
            raise ReasonlabError(f"--out {out} is the input model {ckpt.label}: choose another folder")
    _check_device(cfg.device)
    weights = list(recipe.weights)
    dtype = None if cfg.dtype == "auto" else cfg.dtype
    with data_folder(out, overwrite) as partial:
        with progress_bar(len(reference.tensors), f"merging ({cfg.method})", progress) as advance:
            result = merge_checkpoints(
                recipe, models, partial, base, dtype, parse_size(cfg.shard_size), cfg.device, advance
            )
        record = {
            "method": cfg.method,
            "models": [
                {"model": m.label, "path": str(m.path), "weight": w, "density": d}
                for m, w, d in zip(models, weights, recipe.densities)
            ],
            "skipped_models": [
                {
                    "model": m.label,
                    "path": str(m.path),
                    "weight": w,
                    "density": d,
                    "reason": "the base model (a zero task vector, skipped as mergekit does)",
                }
                for m, w, d in zip(listed, full.weights, full.densities)
                if is_base(m, base)
            ],
            "base": {"model": base.label, "path": str(base.path)} if base else None,
            "parameters": {
                "normalize": recipe.normalize,
                "lambda": recipe.lambda_,
                "rescale": recipe.rescale,
                "seed": recipe.seed,
            },
            # each model's share of the result (linear) or of the merged task vector; TIES: per entry
            "effective_weights": None if recipe.method.consensus else _shares(weights, recipe.normalize),
            "dtype": cfg.dtype,
            "config_from": reference.label,
            "tensors": result.tensors,
            "copied_tensors": result.copied,
            "files": result.files,
            "bytes": result.bytes,
            "seconds": round(result.seconds, 3),
            "config": asdict(cfg),
        }
        write_json(partial / "merge_config.json", record)
    return record
