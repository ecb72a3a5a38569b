"""`reasonlab rl train`: GRPO, RAFT, RAFT++, Reinforce-Rej or vanilla Reinforce on a task."""

from __future__ import annotations

from pathlib import Path

import typer

from reasonlab.cli.common import SETTINGS_HELP, console, load_task, task_inputs
from reasonlab.cli.options import ConfigFlags, config_options
from reasonlab.rl.config import RLConfig

app = typer.Typer(help="RL for verifiable rewards.", no_args_is_help=True)


@app.command("train")
@config_options(RLConfig)
def train_cmd(
    flags: ConfigFlags,
    settings: list[str] = typer.Option(None, "--set", help=SETTINGS_HELP),
    out: str = typer.Option(None, help="Run folder (default runs/rl-<config hash>); reruns resume."),
    overwrite: bool = typer.Option(False, help="Replace a finished run folder."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Train a policy with RL on a task's verifier; the trained model is <run folder>/model."""
    cfg = flags.build(RLConfig, **task_inputs(flags["task"], None, settings, None)).validate()
    task = load_task(cfg)
    from reasonlab.core.runs import Run, open_run
    from reasonlab.jobs.common import config_dict
    from reasonlab.rl.config import NOT_RECIPE
    from reasonlab.rl.job import final_line, report_markdown, run_rl, starting_weights
    from reasonlab.training.distributed import DataParallel

    dp = DataParallel.from_env()  # one process, or one of those `accelerate launch` started
    if not dp.is_main:  # trains in the run folder the main process opened; writes nothing
        run = Run(Path(dp.broadcast(None)), config_dict(cfg))
        run_rl(cfg, task, run, progress=False, say=lambda _: None, dp=dp)
        return
    with open_run(
        "rl",
        config_dict(cfg),
        out=out,
        inputs=starting_weights(cfg),  # a resume on other weights is refused
        overwrite=overwrite,
        volatile=NOT_RECIPE,
        say=console.print,
    ) as run:
        dp.broadcast(str(run.out))
        summary = run_rl(cfg, task, run, progress=progress, say=console.print, dp=dp)
        folder = run.finish(summary, report_markdown(cfg, summary))
    (folder / "checkpoint.pt").unlink(missing_ok=True)  # finished: the policy is in model/
    console.print(f"last 10 steps: {final_line(summary)}")
    console.print(f"policy: {folder / 'model'} (curves: {folder / 'curves.png'})")
