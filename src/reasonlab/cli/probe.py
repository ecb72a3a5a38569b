"""`reasonlab probe`: perturb questions and solutions, measure how reward models react."""

from __future__ import annotations

import typer

from reasonlab.cli.common import SETTINGS_HELP, console, load_task, task_inputs
from reasonlab.cli.options import ConfigFlags, config_options
from reasonlab.jobs.probe import ProbeConfig


@config_options(ProbeConfig)
def probe(
    flags: ConfigFlags,
    settings: list[str] = typer.Option(None, "--set", help=SETTINGS_HELP),
    out: str = typer.Option(None, help="Run folder (default runs/probe-<config hash>); reruns resume."),
    overwrite: bool = typer.Option(False, help="Replace a finished run folder."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Score candidate solutions before and after each perturbation (question removed or shuffled,
    numbers edited, steps truncated or shuffled) with each reward model: how much each one moves."""
    cfg = flags.build(ProbeConfig, **task_inputs(flags["task"], None, settings, None)).validate()
    task = load_task(cfg)
    from reasonlab.core.runs import open_run
    from reasonlab.jobs.common import config_dict
    from reasonlab.jobs.probe import report_markdown, run_probe

    with open_run(
        "probe",
        config_dict(cfg),
        out=out,
        inputs={"solutions": cfg.solutions},
        overwrite=overwrite,
        say=console.print,
    ) as run:
        summary = run_probe(cfg, task, run, progress=progress)
        report = report_markdown(summary)
        folder = run.finish(summary, report)
    if summary["one_step_solutions"]:
        console.print(
            f"warning: {summary['one_step_solutions']} of {summary['candidates']} solutions have no step "
            "separator; step-level perturbations skipped them (counted as skipped)"
        )
    console.print(report, highlight=False)
    console.print(f"run folder: {folder} (chart: {folder / 'mean_abs_change.png'})")
