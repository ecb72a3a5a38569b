"""Saving matplotlib figures without a display and without half-written files."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from reasonlab.core.runs import write_atomic  # noqa: E402


def save_figure(fig, path: Path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    write_atomic(Path(path), buf.getvalue())


def new_figure(width: float = 6.0, height: float = 4.0, ncols: int = 1, nrows: int = 1):
    """(figure, axes): one axes, a row of `ncols`, or an `nrows` x `ncols` grid."""
    return plt.subplots(nrows, ncols, figsize=(width, height))
