"""`reasonlab fractured`: fractured sampling, the main job."""

from __future__ import annotations

import typer

from reasonlab.cli.common import (
    DATASET_HELP,
    FIELD_HELP,
    SETTINGS_HELP,
    console,
    load_engine,
    load_task,
    metrics_table,
    task_inputs,
)
from reasonlab.cli.options import ConfigFlags, config_options
from reasonlab.core.runs import open_run
from reasonlab.jobs import fractured as fj
from reasonlab.jobs.common import config_dict
from reasonlab.sampling.fractured_metrics import format_fit


@config_options(fj.FracturedJobConfig)
def fractured(
    flags: ConfigFlags,
    dataset: str = typer.Option(None, help=DATASET_HELP),
    settings: list[str] = typer.Option(None, "--set", help=SETTINGS_HELP),
    fields: list[str] = typer.Option(None, "--field", help=FIELD_HELP),
    out: str = typer.Option(None, help="Run folder (default runs/fractured-<config hash>)."),
    overwrite: bool = typer.Option(False, help="Replace an existing run folder."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Fractured sampling: n trajectories x H cuts x m answers; pass@k vs tokens per axis."""
    cfg = flags.build(fj.FracturedJobConfig, **task_inputs(flags["task"], dataset, settings, fields))
    task_obj = load_task(cfg)
    eng, think = load_engine(cfg.engine, cfg.model, cfg.device, cfg.dtype, cfg.think_open, cfg.think_close)
    think.require("fractured sampling")
    with open_run(
        "fractured",
        config_dict(cfg),
        out=out,
        inputs={"dataset": dataset},
        overwrite=overwrite,
        say=console.print,
    ) as run:
        summary = fj.run_fractured(cfg, eng, task_obj, think, run, progress=progress)
        fj.plot_curves(summary, run.path("passk_vs_tokens.png"), f"{cfg.model}: pass@k vs tokens")
        folder = run.finish(summary, fj.report_markdown(cfg, summary))
    rows = summary_rows(summary)
    console.print(metrics_table(f"fractured: {cfg.model}", rows))
    for warning in summary["warnings"]:
        console.print(f"[bold yellow]warning:[/] {warning}")
    console.print(f"run folder: {folder}")


def summary_rows(summary: dict) -> list[tuple[str, str]]:
    """The rows of the table `reasonlab fractured` prints (README and docs quote it)."""
    rows = []
    for axis, c in summary["curves"].items():
        rows.append(
            (f"{axis}: pass@1 -> pass@{len(c['pass@k'])}", f"{c['pass@k'][0]:.3f} -> {c['pass@k'][-1]:.3f}")
        )
        rows.append(
            (
                f"{axis}: tokens, slope / ln, R^2",
                f"{c['budget'][0]:.0f}-{c['budget'][-1]:.0f}, " + ", ".join(format_fit(c["fit"])),
            )
        )
    rows += [(f"vote: {k}", f"{v:.3f}") for k, v in summary["majority_vote"].items()]
    e = summary["early_stopping"]
    rows.append(
        (
            "early stop: tokens saved, acc",
            f"{100 * e['tokens_saved']:.1f}%, {e['accuracy_early']:.3f} vs {e['accuracy_full']:.3f}",
        )
    )
    meas = summary["measured"]
    rows.append(
        (
            "per problem: generated / prefill computed / reused",
            f"{meas['generated_per_problem']:.0f} / {meas['prefill_computed_per_problem']:.0f} / "
            f"{meas['prefill_reused_per_problem']:.0f}",
        )
    )
    if summary["collapsed_cuts"]:
        rows.append(("collapsed cuts (voting once)", str(summary["collapsed_cuts"])))
    return rows
