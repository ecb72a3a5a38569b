"""Saving a trained model as a Hugging Face folder that is never half-written."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path


def save_model_folder(model, tokenizer, out: Path, extra: Callable[[Path], None] | None = None) -> None:
    """Weights and tokenizer (and whatever `extra(folder)` adds: a training log, a loss curve) into
    `<out>.partial`, then renamed to `out`: a folder at `out` is always complete."""
    tmp = out.with_name(out.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    if extra is not None:
        extra(tmp)
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
