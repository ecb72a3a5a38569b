"""Atomic checkpoints that refuse to resume a different recipe."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from reasonlab.core.errors import ReasonlabError
from reasonlab.core.runs import write_atomic


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """torch.save `state` to `path` atomically: a kill mid-write leaves the previous checkpoint."""
    import torch

    buf = io.BytesIO()
    torch.save(state, buf)
    write_atomic(path, buf.getvalue())


def load_checkpoint(path: Path, guard: dict[str, Any], hint: str = "pass another --work-dir") -> dict | None:
    """The checkpoint at `path` (None if there is none). Each `guard` entry must equal the saved one
    (an entry the checkpoint lacks passes): resuming another recipe would silently mix two runs."""
    if not path.exists():
        return None
    import torch

    saved = torch.load(path, weights_only=False)
    differs = sorted(k for k, v in guard.items() if k in saved and saved[k] != v)
    if differs:
        raise ReasonlabError(
            f"{path} was written by another recipe or seed (differs in {', '.join(differs)}); "
            f"remove it or {hint}"
        )
    return saved
