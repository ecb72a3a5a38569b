"""GaLore / GaLore+ benchmarks (the same as `reasonlab optim bench`): refresh time at LLaMA-7B shapes,
end-to-end fine-tuning time split and loss, optimizer-state memory; ratios measured side by side.

    python benchmarks/galore.py [--out runs/optim-bench] [--quick]
"""

from __future__ import annotations

import argparse

from reasonlab.optim.bench import BenchConfig, run_all
from reasonlab.optim.bench_report import write_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/optim-bench")
    parser.add_argument("--quick", action="store_true", help="small shapes, to check the script runs")
    args = parser.parse_args()
    cfg = BenchConfig()
    if args.quick:
        cfg = BenchConfig(
            hidden=512, mlp=1376, heads=8, rank=32, ft_hidden=256, ft_steps=6, ft_gaps=[2], ft_rank=32
        )
    print(write_report(run_all(cfg), args.out))


if __name__ == "__main__":
    main()
