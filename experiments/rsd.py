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
import time
from pathlib import Path

from reasonlab.cli.rsd import report
from reasonlab.core.runs import Run, write_atomic
from reasonlab.jobs.common import config_dict
from reasonlab.speculative.config import RSDRunConfig
from reasonlab.speculative.job import run_rsd


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


def verdicts(methods: dict) -> list[str]:
    target = methods["target only"]
    n = target["problems"]
    rsd = {k: m for k, m in methods.items() if k.startswith("rsd")}
    lines = []
    equal = {
        k: m
        for k, m in rsd.items()
        if m["accuracy"] >= target["accuracy"] - 2 * standard_error(target["accuracy"], n)
    }
    if equal:
        best_name, best = min(equal.items(), key=lambda kv: kv[1]["flops_vs_target"])
        met = best["flops_vs_target"] <= 1 / 3 and best["accuracy"] >= target["accuracy"]
        lines.append(
            f"- **3x fewer FLOPs at equal or higher accuracy: {'agree' if met else 'disagree'}.** The cheapest RSD "
            f"within 2 standard errors of the target's accuracy ({target['accuracy']:.3f} +- "
            f"{standard_error(target['accuracy'], n):.3f}, {n} problems) is {best_name}: accuracy "
            f"{best['accuracy']:.3f} at {best['flops_vs_target']:.2f}x the target's FLOPs (the goal: 0.33x or "
            "less)."
        )
    else:
        lines.append(
            f"- **3x fewer FLOPs at equal or higher accuracy: disagree.** No delta comes within 2 standard errors "
            f"of the target's accuracy ({target['accuracy']:.3f})."
        )
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
        f"is the worse ratio for {worse} of {len(rsd)} deltas."
    )
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", type=int, default=200)
    ap.add_argument("--delta", default="0.3,0.5,0.6,0.7,0.8,0.9")
    ap.add_argument("--prm", default="testbed:prm")
    ap.add_argument("--work", default="runs/exp-rsd")
    ap.add_argument("--doc", default="docs/reproductions/rsd.md")
    args = ap.parse_args()
    cfg = RSDRunConfig(prm=args.prm, delta=args.delta, num_problems=args.problems).validate()
    t0 = time.perf_counter()
    run = Run.open(Path(args.work), config_dict(cfg))
    summary = run_rsd(cfg, run, progress=True)
    minutes = (time.perf_counter() - t0) / 60
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
            f"PRM included. {minutes:.0f} minutes of this session on 2 CPU cores.",
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
