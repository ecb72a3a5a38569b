"""`reasonlab optim bench`: the GaLore / GaLore+ benchmarks, with a report and plots."""

from __future__ import annotations

import typer

from reasonlab.cli.common import console
from reasonlab.cli.options import ConfigFlags, config_options
from reasonlab.jobs.galore_bench_config import BenchConfig

app = typer.Typer(help="Memory-efficient optimizers (GaLore, GaLore+).", no_args_is_help=True)


@app.command()
@config_options(BenchConfig)
def bench(
    flags: ConfigFlags,
    out: str = typer.Option(
        None,
        help="Run folder for results.json, report.md and plots (default runs/optim-bench-<config hash>).",
    ),
    overwrite: bool = typer.Option(False, help="Replace an existing run folder."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Refresh time and energy (svd, rsi, cross_head), fine-tuning time split and loss, state memory."""
    import dataclasses

    from reasonlab.core.runs import open_run
    from reasonlab.jobs.galore_bench import run_all
    from reasonlab.jobs.galore_bench_report import write_report

    cfg = flags.build(BenchConfig)
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
