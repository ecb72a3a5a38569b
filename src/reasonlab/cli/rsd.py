"""`reasonlab rsd`: reward-guided speculative decoding, a delta sweep and its baselines."""

from __future__ import annotations

import typer

from reasonlab.cli.common import (
    DATASET_HELP,
    FIELD_HELP,
    SETTINGS_HELP,
    check_device,
    console,
    load_task,
    task_inputs,
)
from reasonlab.cli.options import ConfigFlags, config_options
from reasonlab.speculative.config import RSDRunConfig


@config_options(RSDRunConfig)
def rsd(
    flags: ConfigFlags,
    dataset: str = typer.Option(None, help=DATASET_HELP),
    settings: list[str] = typer.Option(None, "--set", help=SETTINGS_HELP),
    fields: list[str] = typer.Option(None, "--field", help=FIELD_HELP),
    out: str = typer.Option(None, help="Run folder (default runs/rsd-<config hash>); reruns resume."),
    overwrite: bool = typer.Option(False, help="Replace a finished run folder."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Draft + PRM + target at the step level (RSD) against target-only, draft-only, the draft's
    best-of-N by the PRM and token-level speculative decoding, on one FLOPs ledger."""
    cfg = flags.build(RSDRunConfig, **task_inputs(flags["task"], dataset, settings, fields)).validate()
    load_task(cfg)  # a bad task, option or dataset is refused before any model loads
    check_device(cfg.device)
    from reasonlab.core.runs import open_run
    from reasonlab.jobs.common import config_dict
    from reasonlab.speculative.job import model_folders, run_rsd

    inputs = {**model_folders(cfg), "dataset": dataset}
    with open_run(
        "rsd", config_dict(cfg), out=out, inputs=inputs, overwrite=overwrite, say=console.print
    ) as run:
        summary = run_rsd(cfg, run, progress=progress, say=console.print)
        table = report(summary)
        folder = run.finish(summary, table)
    console.print(table, highlight=False)
    console.print(f"plot: {folder / 'accuracy_vs_flops.png'}")


def report(summary: dict) -> str:
    """The methods side by side, as a Markdown table. FLOPs count prefill; the generated-only
    column counts as the official code does (draft and target tokens generated, no prefill)."""
    lines = [
        "| method | accuracy | FLOPs / problem | vs target | generated-only FLOPs vs target "
        "| seconds / problem | vs target | draft steps |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, m in summary["methods"].items():
        share = f"{100 * m['draft_step_share']:.0f}%" if "draft_step_share" in m else ""
        vs_f = f"{m['flops_vs_target']:.2f}x" if "flops_vs_target" in m else ""
        vs_s = f"{m['seconds_vs_target']:.2f}x" if "seconds_vs_target" in m else ""
        vs_g = f"{m['generated_flops_vs_target']:.2f}x" if "generated_flops_vs_target" in m else ""
        lines.append(
            f"| {name} | {m['accuracy']:.3f} | {m['flops_per_problem']:.3g} | {vs_f} | {vs_g} | "
            f"{m['seconds_per_problem']:.3f} | {vs_s} | {share} |"
        )
    return "\n".join(lines) + "\n"
