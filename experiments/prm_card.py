"""Measure the shipped reward models (testbed:prm, testbed:orm) and write their cards.

Held-out data: the steps.jsonl of a `reasonlab prm data` run on problems the PRM was not trained
on (task seed 0; training used seed 1), with several solutions per problem and policy, so that
best-of-N within a group can be read off. Writes evaluation.json and README.md into each model's
folder (the card `reasonlab testbed ship` marked stale is replaced).

    reasonlab prm data --task-seed 0 --num-problems 200 -n 4 --out runs/prm-eval
    python experiments/prm_card.py --eval-data runs/prm-eval/steps.jsonl [--models prm orm]
"""

from __future__ import annotations

import argparse
import json

from reasonlab.core.runs import write_atomic, write_json
from reasonlab.prm.data import as_outcome, read_samples
from reasonlab.prm.job import evaluate_prm, run_config
from reasonlab.rewards.prm import load_prm
from reasonlab.testbed.handles import TESTBED_DIR

WHAT = {
    "prm": "a process reward model: the probability that the solution is still right after each step",
    "orm": "an outcome reward model: the probability that the finished solution's answer is right",
}


def card(name: str, log: dict, figures: dict, eval_data: str, eval_config: dict) -> str:
    cfg, made = log["config"], log.get("data_config", {})
    pb, best = figures["processbench"], figures["best_of_group"]
    data = log["data"]
    by_policy = "; ".join(
        f"{m}: {d['solutions']} solutions, {100 * d['wrong_step_share']:.1f}% of steps wrong, "
        f"final answers {100 * d['final_answer_accuracy']:.1f}% right"
        for m, d in data["by_policy"].items()
    )
    return f"""# testbed:{name}

{WHAT[name]}. A value head (one logit, sigmoid; Skywork-o1-PRM's layout) on the backbone of
`{cfg["init"]}`, reading the policy's own chat prompt and token ids, scored at the last token of each
"\\n\\n" step separator, so that RSD can score each draft step on the cached prefix
(`rewards/prm.py`, `speculative/rsd.py`).

## Training

`reasonlab prm train` ({cfg["steps"]} steps, batch {cfg["batch_size"]} solutions, lr {cfg["learning_rate"]},
{log["train_seconds"] / 60:.1f} minutes on 2 CPU cores) on `reasonlab prm data`: solutions written by the
models {made.get("models", "?")} at temperature {made.get("temperature", "?")}, n {made.get("n", "?")}
per problem, to {made.get("num_problems", "?")} arith problems of task seed {made.get("task_seed", "?")}, every step labelled exactly
(`testbed/step_labels.py`: a step is right when its arithmetic is right and it continues the true chain; a
check is right when it restates its step and gives the verdict its numbers imply; a candidate when it is
the answer). {data["solutions"]} solutions, {data["steps"]} steps, {100 * data["wrong_step_share"]:.1f}% of
steps wrong ({by_policy}).{" Outcome model: each solution is one step, labelled by its final answer." if cfg.get("outcome") else ""}

## Held out

{figures["solutions"]} solutions ({figures["steps"]} steps) from `{eval_data}`: {eval_config.get("models", "?")},
n {eval_config.get("n", "?")} per problem, {eval_config.get("num_problems", "?")} problems of task seed
{eval_config.get("task_seed", "?")} (the training data's seed: {made.get("task_seed", "?")}):

| measure | value |
|---|---|
| step AUROC (right steps above wrong ones) | {figures["step_auroc"]:.3f} |
| ProcessBench F1 (first wrong step, threshold 0.5) | {pb["f1"]:.3f} (erroneous {pb["erroneous_accuracy"]:.3f}, correct {pb["correct_accuracy"]:.3f}) |
| outcome AUROC (last step's score vs the final answer) | {figures["outcome_auroc"]:.3f} |
| best of a group of {best["group_size"]:g} (same problem and policy; the mean size): PRM by last step | {best["prm_last"]:.3f} |
| same, PRM by lowest step | {best["prm_min"]:.3f} |
| same, a random pick (the group's mean accuracy) | {best["random"]:.3f} |
| same, oracle (any right) | {best["oracle"]:.3f} |
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-data", required=True, help="steps.jsonl of a held-out `prm data` run")
    parser.add_argument("--models", nargs="+", default=["prm", "orm"])
    args = parser.parse_args()
    samples = read_samples(args.eval_data)
    eval_config = run_config(args.eval_data)
    for name in args.models:
        folder = TESTBED_DIR / name
        if not (folder / "training_log.json").exists():
            print(f"testbed:{name} is not shipped; skipped")
            continue
        log = json.loads((folder / "training_log.json").read_text())
        held_out = [as_outcome(s) for s in samples] if name == "orm" else samples
        figures = evaluate_prm(load_prm(f"testbed:{name}"), held_out)
        write_json(folder / "evaluation.json", {"eval_data": args.eval_data, "figures": figures})
        write_atomic(folder / "README.md", card(name, log, figures, args.eval_data, eval_config))
        print(
            f"testbed:{name}: step AUROC {figures['step_auroc']:.3f}, ProcessBench F1 "
            f"{figures['processbench']['f1']:.3f}, best-of-group {figures['best_of_group']['prm_last']:.3f} "
            f"(random {figures['best_of_group']['random']:.3f}, oracle {figures['best_of_group']['oracle']:.3f})"
        )


if __name__ == "__main__":
    main()
