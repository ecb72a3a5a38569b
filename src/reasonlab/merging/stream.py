"""The merge itself: check that the inputs fit together, then merge and write tensor by tensor.

Everything that can be refused is checked from config.json and the safetensors headers before the
first tensor is read: architectures, tensor names, shapes, dtypes. A model that is the base itself
(listed in the models too) is left out of the merge, as mergekit leaves it out (its task vector is
zero; its weight would only change the normalisation). The merge then reads, for one tensor
name at a time, that tensor of each model (and of the base), merges it and appends it to the output
file: peak memory is a few tensors, not a model. The output folder gets the reference model's
(the base, else the first model) config, generation config and tokenizer files.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from reasonlab.core.errors import ReasonlabError
from reasonlab.merging.checkpoints import COPIED_CODES, FLOAT_CODES, Checkpoint
from reasonlab.merging.combine import Recipe, merge_tensor
from reasonlab.merging.writer import CODES, TORCH_DTYPES, Entry, ShardedWriter

PLAN_FILE = "pruning_plan.json"  # models/pruned.py: a pruned model's dropped blocks; must agree
MODEL_FILES = (
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "tokenizer.model",
    "spiece.model",
    "vocab.json",
    "vocab.txt",
    "merges.txt",
    "chat_template.jinja",
    "chat_template.json",
    PLAN_FILE,
)  # what makes a weights folder a model folder; weights, cards, logs and plots are not copied


@dataclass
class MergeResult:
    """What a merge wrote: tensors merged, tensors copied (integers and BOOL: taken from the
    reference), the weight files, bytes written (weights and index) and seconds spent."""

    tensors: int
    copied: int
    files: list[str]
    bytes: int
    seconds: float


def _shape(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


def _arch(ckpt: Checkpoint) -> str:
    model_type, archs = ckpt.architecture
    return f"{model_type} ({', '.join(archs) or 'no architectures'})"


def _plan(ckpt: Checkpoint):
    path = ckpt.path / PLAN_FILE
    return json.loads(path.read_text()) if path.is_file() else None


def is_base(model: Checkpoint, base: Checkpoint | None) -> bool:
    """Whether `model` is the base model: the same folder on disk, however it was named (a path, a
    symlink to it, a testbed handle). mergekit compares model references, i.e. the names given."""
    return base is not None and model.path.resolve() == base.path.resolve()


def without_base(
    recipe: Recipe, models: list[Checkpoint], base: Checkpoint | None
) -> tuple[Recipe, list[Checkpoint]]:
    """The recipe and models less any model that is the base (is_base), as mergekit's generalized
    task arithmetic merges the non-base models only: the base's weight and density are dropped with
    it, so it changes neither the normalising sum nor the DARE drops of the others."""
    keep = [i for i, m in enumerate(models) if not is_base(m, base)]
    return recipe.keeping(keep), [models[i] for i in keep]


def check_inputs(models: list[Checkpoint], base: Checkpoint | None = None) -> Checkpoint:
    """The reference checkpoint (the base, else the first model) after checking that every input
    has its architecture, its tensor names, its shapes, and dtypes that are merged or copied; each
    refusal names the tensor and the models."""
    reference = base or models[0]
    others = models if base is not None else models[1:]
    for ckpt in (reference, *others):
        why = ckpt.unmergeable()
        if why:
            raise ReasonlabError(why)
    for other in others:
        if other.architecture != reference.architecture:
            raise ReasonlabError(
                f"models differ in architecture: {reference.label} is {_arch(reference)}, "
                f"{other.label} is {_arch(other)}"
            )
        if _plan(other) != _plan(reference):
            raise ReasonlabError(f"{reference.label} and {other.label} were pruned differently ({PLAN_FILE})")
        for name, info in reference.tensors.items():
            theirs = other.tensors.get(name)
            if theirs is None:
                raise ReasonlabError(
                    f"tensor {name} is missing in {other.label} (present in {reference.label})"
                )
            if theirs.shape != info.shape:
                raise ReasonlabError(
                    f"tensor {name} has shape {_shape(info.shape)} in {reference.label} but "
                    f"{_shape(theirs.shape)} in {other.label}"
                )
            if (theirs.dtype in FLOAT_CODES) != (info.dtype in FLOAT_CODES):
                raise ReasonlabError(
                    f"tensor {name} is {info.dtype} in {reference.label} but {theirs.dtype} in {other.label}"
                )
        extra = [name for name in other.tensors if name not in reference.tensors]
        if extra:
            raise ReasonlabError(f"{other.label} has tensor {extra[0]}, which {reference.label} lacks")
    return reference


def merge_checkpoints(
    recipe: Recipe,
    models: list[Checkpoint],
    out: Path,
    base: Checkpoint | None = None,
    dtype: str | None = None,
    max_shard_bytes: int = 5 * 10**9,
    device: str = "cpu",
    advance: Callable[[int], None] = lambda k=1: None,
) -> MergeResult:
    """Merge `models` (against `base` for task-vector methods; a model that is the base is left
    out, see without_base) into the existing folder `out`: safetensors weights, written a tensor at
    a time, plus the reference's model files. `dtype` is a torch dtype name for every
    floating-point tensor (None: each keeps the reference's)."""
    start = time.perf_counter()
    recipe, models = without_base(recipe, models, base)
    reference = check_inputs(models, base)
    code = CODES[getattr(torch, dtype)] if dtype else None
    entries = [
        Entry(info.name, info.shape, code if code and info.dtype in FLOAT_CODES else info.dtype)
        for info in reference.tensors.values()
    ]
    writer = ShardedWriter(out, entries, max_shard_bytes)
    merged = copied = 0
    try:
        for entry in entries:
            name = entry.name
            if reference.tensors[name].dtype in COPIED_CODES:
                tensor, copied = reference.read(name), copied + 1
            else:
                inputs = (m.read(name, device) for m in models)  # read one at a time, when needed
                base_tensor = base.read(name, device) if base is not None else None
                tensor = merge_tensor(name, recipe, inputs, base_tensor)
                del inputs, base_tensor
                tensor, merged = tensor.to(TORCH_DTYPES[entry.dtype]), merged + 1
            writer.write(name, tensor)
            del tensor
            advance(1)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    copy_model_files(reference.path, out, dtype)
    return MergeResult(merged, copied, writer.files, writer.bytes, time.perf_counter() - start)


def copy_model_files(source: Path, out: Path, dtype: str | None = None) -> list[str]:
    """Copy config.json, the generation config and the tokenizer files of `source` into `out`
    (config.json's dtype set to `dtype` when given); returns the names copied."""
    copied = []
    for name in MODEL_FILES:
        if (source / name).is_file():
            shutil.copyfile(source / name, out / name)
            copied.append(name)
    if dtype:
        config = json.loads((out / "config.json").read_text())
        config["dtype"] = dtype
        if "torch_dtype" in config:
            config["torch_dtype"] = dtype
        (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    return copied
