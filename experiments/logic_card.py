"""Measure the shipped testbed:logic and write its card (evaluation.json and README.md in its folder).

testbed:logic is testbed:target fine-tuned on the meta-ability tasks (deduction, induction and
abduction at levels 1 and 2, in the bare formats the pipeline uses) with arith kept in the mix. Its
card gives greedy accuracy and the share of well-formed <think>/<answer> outputs on problems of each
set (seed 0; training drew seed 1, and the card counts the problems both drew: a small space such as
released-shape induction repeats across seeds), measured the way experiments/meta_ability.py evaluates
every model of the pipeline, with testbed:target beside it for reference.

    python experiments/logic_card.py [--problems 50] [--render-only]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from meta_ability import OPTIONS, base_training_questions, eval_problems, evaluate  # noqa: E402  (a sibling script)

from reasonlab.core.runs import write_atomic, write_json  # noqa: E402
from reasonlab.testbed.handles import TESTBED_DIR  # noqa: E402
from reasonlab.testbed.presets import PRESETS  # noqa: E402

MAX_TOKENS = 512


def figures(result: dict) -> dict[str, dict]:
    return {
        name: {"accuracy": float(np.mean(r["correct"])), "well_formed": r["well_formed"]}
        for name, r in result.items()
    }


def seen_in_training(problems: int) -> dict[str, int]:
    """Per set: how many of its first `problems` problems testbed:logic's fine-tuning drew too."""
    trained = base_training_questions("testbed:logic")
    return {
        name: sum(p.question in trained for p in items)
        for name, (_, items) in eval_problems(problems).items()
    }


def card(logic: dict, target: dict, seen: dict[str, int], log: dict, problems: int) -> str:
    preset = PRESETS["logic"]
    mixture = ", ".join(
        e.task + (f" level {dict(e.options)['level']}" if "level" in dict(e.options) else "")
        for e in preset.mixture
    )
    rows = [
        f"| {name} | {logic[name]['accuracy']:.1%} | "
        + (f"{logic[name]['well_formed']:.1%}" if logic[name]["well_formed"] is not None else "")
        + f" | {target[name]['accuracy']:.1%} | {seen[name]} |"
        for name in logic
    ]
    return "\n".join(
        [
            "# testbed:logic",
            "",
            "The base model of the meta-ability pipeline (`experiments/meta_ability.py`): testbed:target "
            f"fine-tuned for {log['steps']} steps (batch {preset.batch_size}, lr {preset.lr:g}, "
            f"{log['train_seconds'] / 60:.1f} minutes on 2 CPU cores) on a mixture taking turns: {mixture}. "
            f"Formats: {json.dumps(OPTIONS)}. Reproduce with `reasonlab testbed train --model logic`.",
            "",
            f"## Evaluation ({problems} problems per set, seed 0; training drew seed 1; greedy, at most "
            f"{MAX_TOKENS} tokens)",
            "",
            "| set | accuracy | well-formed tags | testbed:target (before) | problems training drew too |",
            "|---|---|---|---|---|",
            *rows,
            "",
            "Released-shape induction at levels 1-2 is a small space (about 300 distinct puzzles at level "
            "1), so training drew most of its evaluation problems too: its rows show what the model "
            "kept of them, not generalization.",
            "",
            "Measured by `python experiments/logic_card.py`.",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=50)
    parser.add_argument(
        "--render-only", action="store_true", help="rewrite the card from evaluation.json's figures"
    )
    args = parser.parse_args()
    folder = TESTBED_DIR / "logic"
    if not (folder / "training_log.json").is_file():
        raise SystemExit(f"testbed:logic is not shipped ({folder}): reasonlab testbed ship --model logic")
    if args.render_only:
        saved = json.loads((folder / "evaluation.json").read_text())
        problems, logic, target = saved["problems"], saved["logic"], saved["target"]
    else:
        problems = args.problems
        logic = figures(evaluate("testbed:logic", 1, problems, MAX_TOKENS, 0.0))
        target = figures(evaluate("testbed:target", 1, problems, MAX_TOKENS, 0.0))
    log = json.loads((folder / "training_log.json").read_text())
    seen = seen_in_training(problems)
    write_json(
        folder / "evaluation.json",
        {"problems": problems, "logic": logic, "target": target, "seen_in_training": seen},
    )
    write_atomic(folder / "README.md", card(logic, target, seen, log, problems))
    print((folder / "README.md").read_text())


if __name__ == "__main__":
    main()
