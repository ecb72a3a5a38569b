"""`reasonlab prm data` (step-labelled solutions) and `reasonlab prm train` (a PRM from them)."""

from __future__ import annotations

import typer

from reasonlab.cli.common import DATASET_HELP, FIELD_HELP, console, task_inputs
from reasonlab.cli.options import ConfigFlags, config_options
from reasonlab.prm.config import NOT_RECIPE, PRMDataConfig, PRMTrainConfig

app = typer.Typer(help="Process reward models: data without humans, training.", no_args_is_help=True)


@app.command("data")
@config_options(PRMDataConfig)
def data_cmd(
    flags: ConfigFlags,
    dataset: str = typer.Option(None, help=DATASET_HELP + " Needs --labels monte-carlo."),
    fields: list[str] = typer.Option(None, "--field", help=FIELD_HELP),
    out: str = typer.Option(None, help="Run folder (default runs/prm-data-<config hash>); reruns resume."),
    overwrite: bool = typer.Option(False, help="Replace a finished run folder."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Sample solutions from policies and label every step (exactly on arith, by Monte-Carlo rollouts
    otherwise): <run>/steps.jsonl."""
    options = task_inputs("arith", dataset, None, fields) if dataset else {}
    cfg = flags.build(
        PRMDataConfig, **({"dataset": dataset, "task_options": options["task_options"]} if dataset else {})
    ).validate()
    from reasonlab.core.runs import open_run
    from reasonlab.jobs.common import config_dict
    from reasonlab.prm.job import STEPS_FILE, policy_weights, run_prm_data

    with open_run(
        "prm-data",
        config_dict(cfg),
        out=out,
        inputs={"dataset": dataset, **policy_weights(cfg)},  # a resume on retrained policies is refused
        overwrite=overwrite,
        say=console.print,
    ) as run:
        summary = run_prm_data(cfg, run, progress=progress)
        folder = run.finish(summary)
    console.print(
        f"{summary['solutions']} solutions, {summary['steps']} steps, "
        f"{100 * summary['wrong_step_share']:.1f}% of steps wrong: {folder / STEPS_FILE}"
    )


@app.command("train")
@config_options(PRMTrainConfig)
def train_cmd(
    flags: ConfigFlags,
    out: str = typer.Option(None, help="Run folder (default runs/prm-<config hash>); reruns resume."),
    overwrite: bool = typer.Option(False, help="Replace a finished run folder."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Train a PRM on step samples; the PRM is <run folder>/model (--prm of other commands)."""
    cfg = flags.build(PRMTrainConfig).validate()
    from reasonlab.core.errors import ReasonlabError
    from reasonlab.core.runs import open_run
    from reasonlab.jobs.common import config_dict
    from reasonlab.models.loading import resolve_model_path
    from reasonlab.prm.job import run_prm_train

    if not cfg.data:
        raise ReasonlabError("--data is required: the steps.jsonl of a `reasonlab prm data` run")
    inputs = {"data": cfg.data, "eval_data": cfg.eval_data, "init": resolve_model_path(cfg.init)}
    config = config_dict(cfg)
    with open_run(
        "prm", config, out=out, inputs=inputs, overwrite=overwrite, volatile=NOT_RECIPE, say=console.print
    ) as run:
        summary = run_prm_train(cfg, run, progress=progress, say=console.print)
        folder = run.finish(summary)
    line = f"final loss {summary['final_loss']:.3f}"
    if "eval" in summary:
        e = summary["eval"]
        line += (
            f"; held out: step AUROC {e['step_auroc']:.3f}, ProcessBench F1 {e['processbench']['f1']:.3f}, "
            f"outcome AUROC {e['outcome_auroc']:.3f}"
        )
    console.print(f"{line}\nPRM: {folder / 'model'} (curves: {folder / 'curves.png'})")
