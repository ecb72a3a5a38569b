"""`reasonlab budget`: accuracy and tokens under elastic thinking/solution budgets."""

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
from reasonlab.jobs import budget as bj
from reasonlab.jobs.common import config_dict


@config_options(bj.BudgetJobConfig)
def budget(
    flags: ConfigFlags,
    dataset: str = typer.Option(None, help=DATASET_HELP),
    settings: list[str] = typer.Option(None, "--set", help=SETTINGS_HELP),
    fields: list[str] = typer.Option(None, "--field", help=FIELD_HELP),
    out: str = typer.Option(None, help="Run folder (default runs/budget-<config hash>)."),
    overwrite: bool = typer.Option(False, help="Replace an existing run folder."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Elastic budgets: accuracy and tokens for each thinking budget t with solution budget s."""
    cfg = flags.build(bj.BudgetJobConfig, **task_inputs(flags["task"], dataset, settings, fields))
    task_obj = load_task(cfg)
    eng, think = load_engine(cfg.engine, cfg.model, cfg.device, cfg.dtype, cfg.think_open, cfg.think_close)
    think.require("thinking budgets")
    with open_run(
        "budget",
        config_dict(cfg),
        out=out,
        inputs={"dataset": dataset},
        overwrite=overwrite,
        unit="(budget, problem) pairs",
        say=console.print,
    ) as run:
        summary = bj.run_budget(cfg, eng, task_obj, think, run, progress=progress)
        bj.plot_budgets(summary, run.path("budgets.png"), f"{cfg.model}: accuracy under thinking budgets")
        folder = run.finish(summary, bj.report_markdown(cfg, summary))
    rows = [
        (
            bj.t_label(r["thinking_budget"], r["thinking_cap"]) + f", s={r['solution_budget']}",
            f"acc {r['accuracy']:.3f}, {r['tokens']:.1f} tok ({r['thinking_tokens']:.1f} thinking), "
            f"forced {r['forced_rate']:.0%}, solutions cut {r['solution_cut_rate']:.0%}",
        )
        for r in summary["budgets"]
    ]
    console.print(metrics_table(f"budget: {cfg.model}", rows))
    for warning in summary["warnings"]:
        console.print(f"[bold yellow]warning:[/] {warning}")
    console.print(f"run folder: {folder}")
