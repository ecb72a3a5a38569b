"""`reasonlab generate` and `reasonlab evaluate`: sample and grade problems, into a run folder.

`evaluate` is `generate` with evaluation defaults (100 problems, and forced answers at 25/50/75%
of the thinking), so both take EvaluateConfig's fields as flags; `generate` without --cuts runs a
GenerateConfig.
"""

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
from reasonlab.jobs.evaluate import EvaluateConfig
from reasonlab.jobs.generate import GenerateConfig


def _sample(
    flags: ConfigFlags,
    dataset: str = typer.Option(None, help=DATASET_HELP),
    settings: list[str] = typer.Option(None, "--set", help=SETTINGS_HELP),
    fields: list[str] = typer.Option(None, "--field", help=FIELD_HELP),
    out: str = typer.Option(None, help="Run folder (default runs/<command>-<config hash>)."),
    overwrite: bool = typer.Option(False, help="Replace an existing run folder."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    from reasonlab.jobs import evaluate as ev
    from reasonlab.jobs.common import config_dict
    from reasonlab.jobs.generate import plot_lengths, report_markdown, run_generate

    cuts = bool(flags["cuts"])
    inputs = task_inputs(flags["task"], dataset, settings, fields)
    cfg = flags.build(EvaluateConfig if cuts else GenerateConfig, **inputs)
    task_obj = load_task(cfg)
    eng, think = load_engine(cfg.engine, cfg.model, cfg.device, cfg.dtype, cfg.think_open, cfg.think_close)
    if cfg.thinking_budget != -1:
        think.require("--thinking-budget")
    if cuts:
        think.require("--cuts")
    command = "evaluate" if cuts else "generate"
    with open_run(
        command,
        config_dict(cfg),
        out=out,
        inputs={"dataset": dataset},
        overwrite=overwrite,
        say=console.print,
    ) as run:
        if cuts:
            summary = ev.run_evaluate(cfg, eng, task_obj, think, run, progress=progress)
            ev.plot_depth(summary, run.path("depth.png"), f"{cfg.model}: accuracy vs thinking depth")
            report = ev.report_markdown(cfg, summary)
        else:
            summary = run_generate(cfg, eng, task_obj, think, run, progress=progress)
            report = report_markdown(cfg, summary)
        plot_lengths(list(run.records()), run.path("lengths.png"))
        folder = run.finish(summary, report)
    rows = [("problems x samples", f"{summary['problems']} x {cfg.n}")]
    rows += [(f"pass@{k}", f"{v:.3f}") for k, v in summary["pass@k"].items()]
    rows += [
        ("majority vote", f"{summary['majority_accuracy']:.3f}"),
        ("tokens / problem", f"{summary['tokens_per_problem']:.1f}"),
        (
            "prefill computed / reused",
            f"{summary['usage']['prefill_computed']} / {summary['usage']['prefill_reused']}",
        ),
        ("FLOPs (est.)", f"{summary['flops']['total']:.3g}"),
    ]
    for f, d in summary.get("accuracy_by_thinking_depth", {}).items():
        rows.append(
            (
                f"accuracy, thinking cut at {float(f):.0%}",
                f"{d['accuracy']:.3f} ({d['thinking_tokens']:.0f} tok)",
            )
        )
    console.print(metrics_table(f"{command}: {cfg.model}", rows))
    for warning in summary.get("warnings", []):
        console.print(f"[bold yellow]warning:[/] {warning}", highlight=False)
    console.print(f"run folder: {folder}")


def _command(name: str, doc: str, **defaults):
    command = config_options(EvaluateConfig, defaults=defaults)(_sample)
    command.__name__ = command.__qualname__ = name
    command.__doc__ = doc
    return command


generate = _command(
    "generate",
    "Sample problems, grade the answers, report pass@k, majority vote and token cost "
    "(with --cuts: evaluate).",
    num_problems=GenerateConfig.num_problems,
    cuts=[],
)
evaluate = _command(
    "evaluate",
    "Evaluate a model: pass@1/pass@k, majority vote, tokens, and accuracy with the thinking cut short.",
)
