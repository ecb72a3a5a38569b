"""`reasonlab testbed train`: reproduce the shipped testbed models from a seed."""

from __future__ import annotations

import typer

from reasonlab.cli.common import console
from reasonlab.testbed.train import TrainConfig, train

app = typer.Typer(help="The built-in tiny reasoning models.", no_args_is_help=True)
D = TrainConfig()


@app.command("train")
def train_cmd(
    model: str = typer.Option(D.model, help="Which testbed model: target or draft."),
    seed: int = typer.Option(D.seed),
    steps: int = typer.Option(None, help="Optimizer steps (default: the model's recipe)."),
    out: str = typer.Option(None, help="Model folder (default: the package's testbed/models/<model>)."),
    work_dir: str = typer.Option(
        None, help="Checkpoints and logs (default runs/testbed-<model>); reruns resume."
    ),
    checkpoint_every: float = typer.Option(D.checkpoint_every_s, help="Seconds between checkpoints."),
    bf16: bool = typer.Option(None, help="bfloat16 autocast (default: on when the CPU has AVX-512/AMX)."),
    compile: bool = typer.Option(D.compile, help="torch.compile the training step (~15% faster on CPU)."),
    progress: bool = typer.Option(True),
) -> None:
    """Train a testbed model from scratch on arith reasoning traces (resumable)."""
    cfg = TrainConfig(
        model=model,
        seed=seed,
        steps=steps,
        out=out,
        work_dir=work_dir,
        checkpoint_every_s=checkpoint_every,
        bf16=bf16,
        compile=compile,
    )
    folder = train(cfg, progress=progress)
    console.print(f"saved {folder} (loss curve: {folder / 'loss_curve.png'})")
