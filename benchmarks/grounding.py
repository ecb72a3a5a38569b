"""GUI grounding figures, measured in one run: synthesis throughput, OCR evaluation time per
sample, and the OCR baseline's and the dom oracle's per-category scores on a synthesized set.

    python benchmarks/grounding.py [--n 500] [--out runs/bench-grounding]

Writes <out>/results.json and prints a markdown table. The dom oracle must score 100% on the
non-refusal items; anything less means the synthesizer's boxes disagree with the DOM.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from reasonlab.core.runs import Run, write_atomic
from reasonlab.grounding.loaders import load_osworld_g
from reasonlab.grounding.synth.synthesize import SynthConfig, synthesize
from reasonlab.jobs.common import config_dict
from reasonlab.jobs.grounding import GroundingEvalConfig, make_adapter, report_markdown, run_grounding_eval


def evaluate(data: Path, adapter: str, out: Path) -> tuple[dict, float]:
    cfg = GroundingEvalConfig(data=str(data), adapter=adapter)
    dataset = load_osworld_g(data)
    run = Run.open(out, config_dict(cfg), overwrite=True)
    start = time.perf_counter()
    summary = run_grounding_eval(cfg, dataset, make_adapter(cfg), run)
    seconds = time.perf_counter() - start
    run.finish(summary, report_markdown(summary))
    return summary, seconds / len(dataset.samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--out", type=Path, default=Path("runs/bench-grounding"))
    args = parser.parse_args()
    data = args.out / "set"
    stats = synthesize(SynthConfig(n=args.n, seed=0), data)
    results = {"synthesis": stats}
    for adapter in ("dom", "ocr"):
        summary, per_sample = evaluate(data, adapter, args.out / f"eval-{adapter}")
        results[adapter] = {"seconds_per_sample": per_sample, **summary}
    write_atomic(args.out / "results.json", json.dumps(results, indent=1, default=str))

    print(
        f"synthesis: {stats['samples']} samples from {stats['pages']} pages in {stats['seconds']:.1f} s = "
        f"{stats['samples_per_second']:.1f} samples/s (one browser, a page per {stats['samples'] / stats['pages']:.1f} samples)"
    )
    for adapter in ("dom", "ocr"):
        print(f"{adapter}: {1000 * results[adapter]['seconds_per_sample']:.0f} ms per sample")
    cats = sorted(results["ocr"]["by"]["category"])
    print("\n| adapter | overall (with refusal) | without refusal | " + " | ".join(cats) + " |")
    print("|---" * (len(cats) + 3) + "|")
    for adapter in ("dom", "ocr"):
        r = results[adapter]
        cells = [
            f"{100 * r['by']['category'][c]['accuracy']:.1f}% ({r['by']['category'][c]['total']})"
            for c in cats
        ]
        print(
            f"| {adapter} | {100 * r['overall']['accuracy']:.1f}% | {100 * r['overall_without_refusal']['accuracy']:.1f}% | "
            + " | ".join(cells)
            + " |"
        )


if __name__ == "__main__":
    main()
