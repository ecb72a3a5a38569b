"""Measure the shipped testbed:logic and write its card (evaluation.json and README.md in its folder).

testbed:logic is testbed:target fine-tuned on the meta-ability tasks (deduction, induction and
abduction at levels 1 and 2, in the bare formats the pipeline uses) with arith kept in the mix. Its
card gives greedy accuracy and the share of well-formed <think>/<answer> outputs on held-out problems
of each set (seed 0; training used seed 1), measured the way experiments/meta_ability.py evaluates
every model of the pipeline, with testbed:target beside it for reference.

    python experiments/logic_card.py [--problems 50]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from meta_ability import OPTIONS, evaluate  # noqa: E402  (a sibling script)

from reasonlab.core.runs import write_atomic, write_json  # noqa: E402
from reasonlab.testbed.handles import TESTBED_DIR  # noqa: E402
from reasonlab.testbed.presets import PRESETS  # noqa: E402

MAX_TOKENS = 512


def figures(result: dict) -> dict[str, dict]:
    return {
        name: {"accuracy": float(np.mean(r["correct"])), "well_formed": r["well_formed"]}
        for name, r in result.items()
    }


def card(logic: dict, target: dict, log: dict, problems: int) -> str:
    preset = PRESETS["logic"]
    mixture = ", ".join(
        e.task + (f" level {dict(e.options)['level']}" if "level" in dict(e.options) else "")
        for e in preset.mixture
    )
    rows = [
        f"| {name} | {logic[name]['accuracy']:.1%} | "
        + (f"{logic[name]['well_formed']:.1%}" if logic[name]["well_formed"] is not None else "")
        + f" | {target[name]['accuracy']:.1%} |"
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
            f"## Held out ({problems} problems per set, seed 0; training used seed 1; greedy, at most "
            f"{MAX_TOKENS} tokens)",
            "",
            "| set | accuracy | well-formed tags | testbed:target (before) |",
            "|---|---|---|---|",
            *rows,
            "",
            "Measured by `python experiments/logic_card.py`.",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=50)
    args = parser.parse_args()
    folder = TESTBED_DIR / "logic"
    if not (folder / "training_log.json").is_file():
        raise SystemExit(f"testbed:logic is not shipped ({folder}): reasonlab testbed ship --model logic")
    logic = figures(evaluate("testbed:logic", 1, args.problems, MAX_TOKENS, 0.0))
    target = figures(evaluate("testbed:target", 1, args.problems, MAX_TOKENS, 0.0))
    log = json.loads((folder / "training_log.json").read_text())
    write_json(folder / "evaluation.json", {"problems": args.problems, "logic": logic, "target": target})
    write_atomic(folder / "README.md", card(logic, target, log, args.problems))
    print((folder / "README.md").read_text())


if __name__ == "__main__":
    main()
