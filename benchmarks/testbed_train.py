"""Testbed training step cost, measured side by side in one run on the recipe's own batches.

1. Eager versus `torch.compile`d forward + backward, then clipping and the AdamW step as in
   training; same initial weights, batches taken in turn by each (so drift in machine load hits both
   alike); the compiled step's one-off compile time is reported apart.
2. Padded cells per batch with widths rounded to 32 versus the preset's multiple (same examples).
3. What the recipe's step count costs at these rates (the 45-minute goal of the testbed issue).

    python benchmarks/testbed_train.py [--model target] [--steps 16] [--json out.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time

from reasonlab.tasks import create_task
from reasonlab.testbed.presets import PRESETS
from reasonlab.testbed.tokenizer import build_tokenizer
from reasonlab.testbed.train import (
    TRAIN_TASK_SEED,
    BatchStream,
    apply_update,
    bf16_by_default,
    build_model,
    build_optimizer,
    make_train_step,
)


def step_seconds(preset, tokenizer, batches, bf16: bool) -> dict:
    runners = {}
    for name, compiled in (("eager", False), ("compiled", True)):
        model = build_model(preset, tokenizer, seed=0)
        runners[name] = (model, make_train_step(model, bf16, compiled), build_optimizer(model, preset))
    times: dict[str, list[float]] = {name: [] for name in runners}
    first: dict[str, float] = {}
    for i, (ids, labels) in enumerate(batches):
        for name, (model, forward_backward, optimizer) in runners.items():
            start = time.perf_counter()
            forward_backward(ids, labels)
            apply_update(model, optimizer)
            seconds = time.perf_counter() - start
            if i == 0:
                first[name] = seconds
            else:
                times[name].append(seconds)
    return {
        name: {"median_s": statistics.median(t), "mean_s": statistics.fmean(t), "first_step_s": first[name]}
        for name, t in times.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="target", choices=sorted(PRESETS))
    parser.add_argument("--steps", type=int, default=16, help="timed batches per variant (after the first)")
    parser.add_argument("--start", type=int, default=400, help="first batch index of the recipe")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    preset = PRESETS[args.model]
    tok = build_tokenizer()
    task = create_task("arith", seed=TRAIN_TASK_SEED)
    close = tok.convert_tokens_to_ids("</think>")
    steps = range(args.start, args.start + args.steps + 1)
    start = time.perf_counter()
    stream = BatchStream(preset, 0, tok, task, close)  # as training builds them: each pool once
    batches = [stream.batch(s) for s in steps]
    batch_s = (time.perf_counter() - start) / len(batches)
    wide = BatchStream(dataclasses.replace(preset, width_multiple=32), 0, tok, task, close)
    cells = {
        "preset": sum(ids.numel() for ids, _ in batches) / len(batches),
        "width_32": sum(wide.batch(s)[0].numel() for s in steps) / len(batches),
    }
    bf16 = bf16_by_default()
    timing = step_seconds(preset, tok, batches, bf16)
    ratio = timing["compiled"]["median_s"] / timing["eager"]["median_s"]
    minutes = {
        name: preset.steps * (t["median_s"] + batch_s) / 60 + t["first_step_s"] / 60
        for name, t in timing.items()
    }
    result = {
        "model": args.model,
        "bf16_autocast": bf16,
        "batch_build_s": batch_s,
        "step": timing,
        "compiled_over_eager": ratio,
        "cells_per_batch": cells,
        "cells_ratio": cells["preset"] / cells["width_32"],
        "recipe_minutes": minutes,
    }
    print(f"{args.model}: {args.steps} batches of the recipe from step {args.start}, bf16 autocast {bf16}")
    for name, t in timing.items():
        print(
            f"  {name:8s} median {t['median_s']:.3f} s/step (first step {t['first_step_s']:.1f} s)"
            f" -> {preset.steps} steps ~ {minutes[name]:.1f} min"
        )
    print(f"  compiled / eager step time: {ratio:.2f} (target <= 0.9)")
    print(
        f"  cells per batch: {cells['preset']:.0f} (width multiple {preset.width_multiple}) vs "
        f"{cells['width_32']:.0f} (32): {result['cells_ratio']:.2f}; batch building {batch_s * 1000:.0f} ms"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
