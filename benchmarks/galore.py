"""GaLore / GaLore+ benchmarks (the same as `reasonlab optim bench`): refresh time at LLaMA-7B shapes,
end-to-end fine-tuning time split, loss and peak memory, optimizer-state memory and the optimizer's
peak memory on two layers at 7B shapes; ratios measured side by side.

    python benchmarks/galore.py [--out runs/optim-bench] [--quick] [--ft-hidden 1024] [--ft-steps 50]
                                [--ft-gaps 10,50,200] [--mem-layers 2]

The fine-tuning comparison alone, on a GPU (issue 13's device check):

    python benchmarks/galore.py --finetune-only --device cuda --dtype bfloat16 --ft-hidden 4096 \
        --ft-mlp 11008 --ft-heads 32 --ft-steps 21 --ft-gaps 10
"""

from __future__ import annotations

import argparse

from reasonlab.core.errors import ReasonlabError
from reasonlab.jobs.galore_bench import BenchConfig, finetune_benchmark, run_all
from reasonlab.jobs.galore_bench_report import write_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/optim-bench")
    parser.add_argument("--quick", action="store_true", help="small shapes, to check the script runs")
    parser.add_argument("--ft-hidden", type=int, default=1024, help="fine-tuning model width")
    parser.add_argument("--ft-mlp", type=int, default=None, help="fine-tuning MLP width (default 8/3 hidden)")
    parser.add_argument("--ft-heads", type=int, default=8)
    parser.add_argument("--ft-layers", type=int, default=2)
    parser.add_argument("--ft-rank", type=int, default=128)
    parser.add_argument("--ft-steps", type=int, default=50)
    parser.add_argument("--ft-lr", type=float, default=1e-3)
    parser.add_argument("--ft-gaps", default="10,50,200", help="update_proj_gap values for fine-tuning")
    parser.add_argument("--mem-layers", type=int, default=2, help="layers in the peak-memory benchmark")
    parser.add_argument("--device", default="cpu", help="fine-tuning device (cpu or cuda)")
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    parser.add_argument("--finetune-only", action="store_true", help="skip the refresh and memory parts")
    args = parser.parse_args()
    try:
        gaps = [int(g) for g in args.ft_gaps.split(",") if g.strip()]
    except ValueError:
        parser.error(f"--ft-gaps takes comma-separated integers, got {args.ft_gaps!r}")
    sizes = [args.ft_hidden, args.ft_heads, args.ft_layers, args.ft_rank, args.ft_steps, args.mem_layers]
    if not gaps or min([*sizes, *gaps, args.ft_mlp or 1]) < 1 or not args.ft_lr > 0:
        parser.error("sizes, steps, gaps and --ft-lr must be positive")
    cfg = BenchConfig(
        ft_hidden=args.ft_hidden,
        ft_mlp=args.ft_mlp,
        ft_heads=args.ft_heads,
        ft_layers=args.ft_layers,
        ft_rank=args.ft_rank,
        ft_steps=args.ft_steps,
        ft_lr=args.ft_lr,
        ft_gaps=gaps,
        mem_layers=args.mem_layers,
        ft_device=args.device,
        ft_dtype=args.dtype,
    )
    if args.quick:
        quick = dict(hidden=512, mlp=1376, heads=8, rank=32, ft_hidden=256, ft_steps=6, ft_gaps=[2])
        cfg = BenchConfig(**{**cfg.__dict__, **quick, "ft_rank": 32, "mem_layers": 1})
    try:
        cfg.validate()  # the checks `reasonlab optim bench` makes (a rank that projects nothing, say)
    except ReasonlabError as e:
        parser.error(str(e))
    if args.finetune_only:
        results = {"config": cfg.__dict__, "finetune": finetune_benchmark(cfg)}
    else:
        results = run_all(cfg)
    print(write_report(results, args.out))


if __name__ == "__main__":
    main()
