"""The step loop every trainer shares: progress bar, metrics JSONL, timed checkpoints, resume."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from reasonlab.core.progress import progress_bar
from reasonlab.core.runs import truncate_jsonl


def run_steps(
    start: int,
    total: int,
    step_fn: Callable[[int], dict[str, float]],
    *,
    history: list[dict],
    metrics_path: Path,
    save: Callable[[int, float], None],
    checkpoint_every_s: float,
    seconds_before: float = 0.0,
    log_every: int = 10,
    label: str = "training",
    progress: bool = True,
    writes: bool = True,
) -> float:
    """Run steps [start, total): `step_fn(step)` does one step and returns its metrics, appended to
    `history` as {"step": step + 1, ...}; every `log_every` steps a line (with the run's seconds so
    far) goes to `metrics_path`; `save(next_step, seconds)` is called every `checkpoint_every_s`
    seconds (not after the last step: the caller saves the finished state). Returns the seconds
    spent in total, `seconds_before` included. With `writes` False (a data-parallel process other
    than the main one) it neither logs nor saves nor shows progress."""
    # Lines of steps past `start` are logged again from the checkpoint.
    if writes:
        truncate_jsonl(
            metrics_path, keep=lambda line: isinstance(line, dict) and line.get("step", start + 1) <= start
        )
    t0 = last_save = time.perf_counter()
    with progress_bar(total, label, enabled=progress and writes) as advance:
        advance(start)
        for step in range(start, total):
            history.append({"step": step + 1, **step_fn(step)})
            advance(1)
            if writes and (step + 1) % log_every == 0:
                elapsed = seconds_before + time.perf_counter() - t0
                with metrics_path.open("a") as f:
                    f.write(json.dumps({**history[-1], "seconds": round(elapsed, 1)}) + "\n")
            if writes and time.perf_counter() - last_save > checkpoint_every_s and step + 1 < total:
                save(step + 1, seconds_before + time.perf_counter() - t0)
                last_save = time.perf_counter()
    return seconds_before + time.perf_counter() - t0
