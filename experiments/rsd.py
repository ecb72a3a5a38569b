"""RSD's claims in miniature, on the testbed trio: draft, PRM and target.

One `reasonlab rsd` run (a delta sweep with every baseline, on held-out arith problems) and
verdicts computed from it:
- the paper's headline, as issue 17 sets the goal: at least 3x fewer FLOPs than the target alone
  at equal or higher accuracy;
- RSD above the draft's best-of-N by the PRM at equal FLOPs (best-of-N interpolated on log FLOPs);
- which of FLOPs and wall time the 2-core machine makes worse, from the same runs.
Writes docs/reproductions/rsd.md (--doc) and copies the accuracy-vs-FLOPs plot beside it.

    python experiments/rsd.py [--problems 200] [--delta 0.3,0.5,0.6,0.7,0.8,0.9] [--prm testbed:prm]
"""

from __future__ import annotations

import argparse
import math
import shutil
from pathlib import Path

from reasonlab.cli.rsd import report
from reasonlab.core.fingerprints import input_fingerprints
from reasonlab.core.runs import Run, write_atomic
from reasonlab.jobs.common import config_dict
from reasonlab.speculative.config import RSDRunConfig
from reasonlab.speculative.job import model_folders, run_rsd


def standard_error(p: float, n: int) -> float:
    return math.sqrt(max(p * (1 - p), 1e-12) / n)


def interpolate_log(points: list[tuple[float, float]], x: float) -> float | None:
    """y at x on the piecewise-linear curve through (log x, y) points; None outside their range."""
    points = sorted(points)
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if x0 <= x <= x1:
            t = 0.0 if x1 == x0 else (math.log(x) - math.log(x0)) / (math.log(x1) - math.log(x0))
            return y0 + t * (y1 - y0)
    return None


def headline(rsd: dict, target: dict, key: str, counted: str) -> str:
    """The goal's verdict under one FLOPs count (`key`: the ratio to the target alone): some delta at
    <= 1/3 of the target's FLOPs with accuracy >= the target's; and the cheapest delta within 2
    standard errors of the target's accuracy."""
    n = target["problems"]
    se = standard_error(target["accuracy"], n)
    met = [k for k, m in rsd.items() if m[key] <= 1 / 3 and m["accuracy"] >= target["accuracy"]]
    close = {k: m for k, m in rsd.items() if m["accuracy"] >= target["accuracy"] - 2 * se}
    line = (
        f"- **3x fewer FLOPs at equal or higher accuracy, {counted}: {'agree' if met else 'disagree'}.** "
        f"Target alone: accuracy {target['accuracy']:.3f} +- {se:.3f} ({n} problems). "
    )
    if met:
        line += f"Deltas that meet the goal: {', '.join(met)}. "
    if close:
        name, best = min(close.items(), key=lambda kv: kv[1][key])
        line += (
            f"The cheapest delta within 2 standard errors of the target's accuracy is {name}: accuracy "
            f"{best['accuracy']:.3f} at {best[key]:.2f}x the target's FLOPs (the goal: 0.33x or less)."
        )
    else:
        line += "No delta comes within 2 standard errors of the target's accuracy."
    return line


def where_flops_go(rsd: dict, target: dict) -> str:
    """Each model's share of RSD's FLOPs, as multiples of the target alone's: why prefill decides."""
    base = target["flops_per_problem"]
    parts, floor = [], []
    for name, m in rsd.items():
        by = m["by_model"]
        floor.append((by["draft"]["flops"] + by["prm"]["flops"]) / base)
        t = by.get("target", {"flops": 0.0, "generated_flops": 0.0})
        parts.append(
            f"{name.removeprefix('rsd ')}: draft {by['draft']['flops'] / base:.2f}, PRM {by['prm']['flops'] / base:.2f}, "
            f"target {t['flops'] / base:.2f} (of which prefill {(t['flops'] - t['generated_flops']) / base:.2f})"
        )
    return (
        "- **Where RSD's FLOPs go** (each model's FLOPs per problem over the target alone's): "
        + "; ".join(parts)
        + ". Every token of an RSD solution passes through the draft (written or prefilled) and the PRM, and "
        "through the target too unless it comes after the target's last rewrite: the target must prefill the "
        "accepted draft steps before it can write the next rejected one, and under 2N x tokens a prefilled "
        "token costs what a generated one does. Drafting and scoring alone cost "
        f"{min(floor):.2f}x-{max(floor):.2f}x the target's FLOPs: RSD's floor on this trio however many "
        "draft steps it keeps, set by the models' sizes, not by the PRM's accuracy."
    )


def verdicts(methods: dict) -> list[str]:
    target = methods["target only"]
    rsd = {k: m for k, m in methods.items() if k.startswith("rsd")}
    lines = [
        headline(rsd, target, "flops_vs_target", "prefill counted"),
        headline(
            rsd, target, "generated_flops_vs_target", "as the official code counts (generated tokens only)"
        ),
        where_flops_go(rsd, target),
    ]
    bon = [(m["flops_per_problem"], m["accuracy"]) for k, m in methods.items() if k.startswith("best-of-")]
    above, compared = [], []
    for k, m in rsd.items():
        at = interpolate_log(bon, m["flops_per_problem"])
        if at is not None:
            compared.append(k)
            if m["accuracy"] > at:
                above.append(f"{k} ({m['accuracy']:.3f} vs {at:.3f})")
    if compared:
        lines.append(
            f"- **RSD above the draft's best-of-N at equal FLOPs: {'agree' if len(above) * 2 > len(compared) else 'disagree'}.** "
            f"{len(above)} of the {len(compared)} deltas whose FLOPs fall within best-of-N's range are above its curve"
            + (f": {', '.join(above)}." if above else ".")
        )
    else:
        lines.append("- **RSD vs best-of-N at equal FLOPs:** no delta falls within best-of-N's FLOPs range.")
    ratios = ", ".join(
        f"{k.removeprefix('rsd ')}: {m['flops_vs_target']:.2f}x / {m['seconds_vs_target']:.2f}x"
        for k, m in rsd.items()
    )
    worse = sum(m["seconds_vs_target"] > m["flops_vs_target"] for m in rsd.values())
    lines.append(
        f"- **FLOPs or wall time?** Against the target alone, FLOPs / wall time per delta: {ratios}. Wall time "
        f"is the worse ratio for {worse} of {len(rsd)} deltas. {where_time_goes(rsd, target)}"
    )
    return lines


def where_time_goes(rsd: dict, target: dict) -> str:
    """Each model's seconds in RSD over the target alone's: where the wall time goes, beside the
    FLOPs."""
    base = target["seconds_per_problem"]
    parts = [
        f"{name.removeprefix('rsd ')}: "
        + ", ".join(f"{model} {figures['seconds'] / base:.2f}" for model, figures in m["by_model"].items())
        for name, m in rsd.items()
    ]
    return (
        "Seconds per problem by model, over the target alone's: "
        + "; ".join(parts)
        + ". The target alone decodes a batch of solutions in one call per token; RSD makes a draft call and a "
        "PRM pass per step (the PRM one solution at a time) and a target call per round with a rejection, "
        "each over a few tokens."
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", type=int, default=200)
    ap.add_argument("--delta", default="0.3,0.5,0.6,0.7,0.8,0.9")
    ap.add_argument("--prm", default="testbed:prm")
    ap.add_argument("--work", default="runs/exp-rsd")
    ap.add_argument("--doc", default="docs/reproductions/rsd.md")
    args = ap.parse_args()
    cfg = RSDRunConfig(prm=args.prm, delta=args.delta, num_problems=args.problems).validate()
    run = Run.open(
        Path(args.work), config_dict(cfg), inputs=input_fingerprints(model_folders(cfg)), overwrite=True
    )
    summary = run_rsd(cfg, run, progress=True)
    # The models' own clocks, summed over every method (a rerun that only re-reads the chunks
    # reports the time they took, not its own).
    minutes = sum(m["seconds_per_problem"] * m["problems"] for m in summary["methods"].values()) / 60
    doc = Path(args.doc)
    doc.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(run.path("accuracy_vs_flops.png"), doc.with_name("rsd_accuracy_vs_flops.png"))
    body = "\n".join(
        [
            "# RSD on the testbed (issue 17)",
            "",
            f"`python experiments/rsd.py --problems {args.problems} --delta {args.delta} --prm {args.prm}`: "
            f"draft `{cfg.draft}`, target `{cfg.target}`, PRM `{cfg.prm}`; greedy; held-out arith problems "
            f"(task seed 0); FLOPs = 2 x matmul parameters x tokens run (prefill included) for every model, "
            f"PRM included. {minutes:.0f} minutes of model time (every method's ledger) on a 2-core CPU machine.",
            "",
            report(summary),
            "![accuracy vs FLOPs](rsd_accuracy_vs_flops.png)",
            "",
            "## Verdicts",
            "",
            *verdicts(summary["methods"]),
            "",
        ]
    )
    write_atomic(doc, body)
    print(body)


if __name__ == "__main__":
    main()
