"""The reward-model probe's claims in miniature (issue 18), on the testbed PRM and ORM.

"Reward Models Identify Consistency, Not Causality" (arXiv 2502.14619) finds that removing the
question barely moves a reward model's score, while numeric edits and broken step flow (truncated or
reordered steps) move it most. Three `reasonlab probe` runs (seeds 0, 1, 2: each samples its own
candidates from the target and perturbs them with its own seed) score every perturbation with the
PRM, the ORM, optionally a PRM variant trained with question-shuffled negatives, and the task
verifier (the control). Each perturbation gets a verdict per reward model, by rules fixed here before
the run:

- question-level perturbations and the self-consistent chain edit are expected to move the score
  little. question-removal agrees when its mean |change| is under 0.05 or the smallest of all
  perturbations; the others agree when it stays under 2x question-removal's;
- a number edited inside a step, truncated steps and shuffled steps are expected to move it much:
  agreement is a mean |change| of at least 2x question-removal's;
each in all three seeds. The variant answers the issue's question beyond the paper: does training on
question-shuffled negatives raise the question sensitivity, and what does it cost best-of-N?

    python experiments/rm_probe.py [--problems 100] [-n 4] [--variant runs/prm-qneg/model]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from pathlib import Path

from reasonlab.core.fingerprints import input_fingerprints
from reasonlab.core.runs import Run, recorded_input_change, write_atomic
from reasonlab.jobs.common import config_dict, load_task
from reasonlab.jobs.probe import ProbeConfig, report_markdown, run_probe
from reasonlab.models.loading import resolve_model_path

SMALL = ("question-removal", "question-shuffle", "question-number-edit", "chain-edit")
LARGE = ("step-number-edit", "truncate-initial", "truncate-last", "truncate-all", "step-shuffle")
SEEDS = (0, 1, 2)


def verdict(name: str, per_seed: list[dict]) -> str:
    """ "agree" or "disagree" for one perturbation of one reward model, with the figures behind it
    per seed: question-removal's mean abs change, the others' as a multiple of question-removal's."""
    changes = [s[name]["mean_abs_change"] for s in per_seed]
    if name == "question-removal":
        smallest = [min(v["mean_abs_change"] for v in s.values()) for s in per_seed]
        ok = all(c < 0.05 or c <= m for c, m in zip(changes, smallest))
        return f"**{'agree' if ok else 'disagree'}**: " + " / ".join(f"{c:.3f}" for c in changes)
    anchors = [s["question-removal"]["mean_abs_change"] for s in per_seed]
    ratios = [c / a if a > 0 else float("inf") for c, a in zip(changes, anchors)]
    ok = all(r < 2 for r in ratios) if name in SMALL else all(r >= 2 for r in ratios)
    return f"**{'agree' if ok else 'disagree'}**: " + " / ".join(f"{r:.1f}x" for r in ratios)


def verdict_table(labels: dict[str, str], per_seed: list[dict]) -> list[str]:
    """One row per perturbation: the verdict for each learned reward model, and the verifier's mean
    abs change (the control has no verdict: it moves exactly when the answer's correctness does)."""
    learned = [r for r in labels if r != "verifier"]
    lines = [
        "| perturbation | expected | " + " | ".join(labels[r] for r in learned) + " | verifier (control) |",
        "|---|---|" + "---|" * (len(learned) + 1),
    ]
    for name in (*SMALL, *LARGE):
        cells = [verdict(name, [s[r] for s in per_seed]) for r in learned]
        control = " / ".join(f"{s['verifier'][name]['mean_abs_change']:.3f}" for s in per_seed)
        lines.append(
            f"| {name} | {'small' if name in SMALL else 'large'} | " + " | ".join(cells) + f" | {control} |"
        )
    return lines


def variant_lines(base: str, variant: str, per_seed: list[dict]) -> list[str]:
    """Question sensitivity and best-of-N of the base PRM and the question-negatives variant."""

    def mean(reward: str, name: str, key: str) -> tuple[float, float]:
        values = [s[reward][name][key] for s in per_seed]
        return statistics.mean(values), statistics.pstdev(values)

    changes = {
        name: (mean(base, name, "mean_abs_change"), mean(variant, name, "mean_abs_change"))
        for name in ("question-shuffle", "question-removal", "question-number-edit")
    }
    (b, bs), (v, vs) = changes["question-shuffle"]
    word = "rises" if v > b + bs + vs else "does not rise"
    lines = [
        f"**Question sensitivity {word}** with question-shuffled negatives (question-shuffle's mean |change| "
        "above the PRM's by more than the two seed spreads together)."
    ]
    for name, ((b, bs), (v, vs)) in changes.items():
        lines.append(f"- {name}: mean |change| {b:.3f} +- {bs:.3f} (PRM) vs {v:.3f} +- {vs:.3f} (variant).")
    (b, bs) = mean(base, "question-removal", "best_of_n_accuracy_unperturbed")
    (v, vs) = mean(variant, "question-removal", "best_of_n_accuracy_unperturbed")
    lines.append(
        f"- best-of-N accuracy on unperturbed candidates: {b:.3f} +- {bs:.3f} (PRM) vs {v:.3f} +- {vs:.3f} "
        f"(variant): {100 * (v - b):+.1f} points."
    )
    return lines


def finished(folder: Path, config: dict, models: dict[str, Path]) -> dict | None:
    """The summary of a finished run of this config on these models' weights in `folder`, or None."""
    try:
        recorded = json.loads((folder / "config.json").read_text())
        recorded.pop("inputs", None)
        same = recorded == json.loads(json.dumps(config)) and not recorded_input_change(folder, models)
        return json.loads((folder / "summary.json").read_text()) if same else None
    except FileNotFoundError:
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", type=int, default=100)
    ap.add_argument("-n", type=int, default=4)
    ap.add_argument("--prm", default="testbed:prm")
    ap.add_argument("--orm", default="testbed:orm")
    ap.add_argument("--variant", default=None, help="PRM folder trained with --question-negatives.")
    ap.add_argument("--work", default="runs/exp-rm-probe")
    ap.add_argument("--doc", default="docs/reproductions/rm-probe.md")
    args = ap.parse_args()
    labels = {args.prm: "PRM", args.orm: "ORM"}
    if args.variant:
        labels[args.variant] = "PRM + question negatives"
    labels["verifier"] = "verifier"
    rewards = list(labels)
    models = {r: resolve_model_path(r) for r in rewards if r != "verifier"}
    t0 = time.perf_counter()
    per_seed, reports = [], []
    for seed in SEEDS:
        cfg = ProbeConfig(
            rewards=",".join(rewards), num_problems=args.problems, n=args.n, seed=seed
        ).validate()
        folder = Path(args.work) / f"seed{seed}"
        summary = finished(folder, config_dict(cfg), models)
        if summary is None:  # not yet run, or with other settings or weights: (re)run it, resuming a partial
            run = Run.open(folder, config_dict(cfg), overwrite=True, inputs=input_fingerprints(models))
            summary = run_probe(cfg, load_task(cfg), run)
            run.finish(summary, report_markdown(summary))
        per_seed.append(summary["rewards"])
        reports.append((seed, folder, summary))
    minutes = (time.perf_counter() - t0) / 60
    doc = Path(args.doc)
    doc.parent.mkdir(parents=True, exist_ok=True)
    first = reports[0][1]
    shutil.copy(first / "mean_abs_change.png", doc.with_name("rm_probe_mean_abs_change.png"))
    shutil.copy(first / "ranking_stability.png", doc.with_name("rm_probe_ranking_stability.png"))
    body = [
        "# Reward-model probe on the testbed (issue 18)",
        "",
        f"`python experiments/rm_probe.py --problems {args.problems} -n {args.n}"
        + (f" --variant {args.variant}" if args.variant else "")
        + f"`: {args.n} candidates per problem sampled from testbed:target (temperature 1.0) on "
        f"{args.problems} arith problems, seeds {', '.join(map(str, SEEDS))}; reward models "
        f"{', '.join(rewards)}. {minutes:.0f} minutes on 2 CPU cores.",
        "",
        "## Verdicts",
        "",
        "Figures per seed 0 / 1 / 2. question-removal: its mean abs change of the reward (agree: under "
        "0.05 or the smallest of all perturbations). Every other perturbation: its mean abs change as a "
        "multiple of question-removal's (expected small, agree: under 2x; expected large, agree: 2x or "
        "more). Each verdict must hold in all three seeds. The verifier, the control, reads only the "
        "final answer: its column is its mean abs change, which moves exactly when a perturbation "
        "changes whether the answer is right.",
        "",
        *verdict_table(labels, per_seed),
        "",
    ]
    if args.variant:
        body += [
            "## Beyond the paper: question-shuffled negatives",
            "",
            *variant_lines(args.prm, args.variant, per_seed),
            "",
        ]
    body += [
        "![mean |change|](rm_probe_mean_abs_change.png)",
        "![ranking stability](rm_probe_ranking_stability.png)",
        "",
        "## Seed 0 in full",
        "",
        report_markdown(reports[0][2]).split("\n", 2)[2],
    ]
    write_atomic(doc, "\n".join(body))
    print("\n".join(body))


if __name__ == "__main__":
    main()
