"""`reasonlab optim bench`: the GaLore / GaLore+ benchmarks, with a report and plots."""

from __future__ import annotations

import typer

from reasonlab.cli.common import console, int_list, validated

app = typer.Typer(help="Memory-efficient optimizers (GaLore, GaLore+).", no_args_is_help=True)


@app.command()
def bench(
    out: str = typer.Option(
        None,
        help="Run folder for results.json, report.md and plots (default runs/optim-bench-<config hash>).",
    ),
    hidden: int = typer.Option(4096, help="Projector benchmark: attention is hidden x hidden."),
    mlp: int = typer.Option(11008, help="Projector benchmark: MLP is hidden x mlp."),
    heads: int = typer.Option(32),
    rank: int = typer.Option(128, help="Projector benchmark rank."),
    ft_hidden: int = typer.Option(1024, help="Fine-tuning model width."),
    ft_rank: int = typer.Option(128, help="GaLore rank in the fine-tuning runs (below --ft-hidden)."),
    ft_steps: int = typer.Option(50),
    ft_gaps: str = typer.Option("10,50,200", help="update_proj_gap values for the fine-tuning runs."),
    overwrite: bool = typer.Option(False, help="Replace an existing run folder."),
    progress: bool = typer.Option(True),
) -> None:
    """Refresh time and energy (svd, rsi, cross_head), fine-tuning time split and loss, state memory."""
    import dataclasses

    from reasonlab.core.runs import open_run
    from reasonlab.jobs.galore_bench import BenchConfig, run_all
    from reasonlab.jobs.galore_bench_report import write_report

    gaps = int_list(ft_gaps, "--ft-gaps")
    cfg = validated(
        BenchConfig(
            hidden=hidden,
            mlp=mlp,
            heads=heads,
            rank=rank,
            ft_hidden=ft_hidden,
            ft_rank=ft_rank,
            ft_steps=ft_steps,
            ft_gaps=gaps,
        )
    )
    # Measurements cannot resume: an interrupted benchmark starts over (and leaves no folder behind).
    config = dataclasses.asdict(cfg)
    with open_run(
        "optim-bench", config, out=out, overwrite=overwrite, resumes=False, say=console.print
    ) as run:
        results = run_all(cfg, progress=progress)
        text = write_report(results, run.partial)
        folder = run.finish()
    console.print(text, markup=False)
    console.print(f"report: {folder}/report.md")
