"""Training curves: one panel per metric against steps, next to the metrics JSONL."""

from __future__ import annotations

import math
from pathlib import Path


def plot_metrics(history: list[dict], keys: list[str], path: Path, title: str) -> None:
    """Panels of `keys` (those present) against step, two per row."""
    from reasonlab.core.plots import plt, save_figure

    keys = [k for k in keys if any(k in h for h in history)]
    if not keys:
        return
    rows = math.ceil(len(keys) / 2)
    fig, axes = plt.subplots(rows, 2, figsize=(10, 2.8 * rows), squeeze=False)
    for ax, key in zip(axes.flat, keys):
        points = [(h["step"], h[key]) for h in history if key in h and not math.isnan(h[key])]
        ax.plot([p[0] for p in points], [p[1] for p in points], lw=1)
        ax.set_title(key.replace("_", " "))
        ax.set_xlabel("step")
    for ax in list(axes.flat)[len(keys) :]:
        ax.set_visible(False)
    fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path)
