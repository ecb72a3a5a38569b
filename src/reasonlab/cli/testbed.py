"""`reasonlab testbed train` (into a run folder) and `reasonlab testbed ship` (into the package)."""

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
    steps: int = typer.Option(None, help="Optimizer steps, at least 1 (default: the model's recipe)."),
    out: str = typer.Option(None, help="Model folder (default: <work-dir>/model; never the package's)."),
    work_dir: str = typer.Option(
        None, help="Run folder for checkpoints and logs (default runs/testbed-<model>); reruns resume."
    ),
    checkpoint_every: float = typer.Option(D.checkpoint_every_s, help="Seconds between checkpoints (> 0)."),
    bf16: bool = typer.Option(None, help="bfloat16 autocast (default: on when the CPU has AVX-512/AMX)."),
    compile: bool = typer.Option(D.compile, help="torch.compile the training step (~15% faster on CPU)."),
    overwrite: bool = typer.Option(False, help="Replace a finished model folder at --out."),
    progress: bool = typer.Option(True),
) -> None:
    """Train a testbed model from scratch on arith reasoning traces into a run folder (resumable).
    `reasonlab testbed ship` installs the result as the shipped model."""
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
    folder = train(cfg, progress=progress, overwrite=overwrite, say=console.print)
    console.print(f"saved {folder} (loss curve: {folder / 'loss_curve.png'})")
    recipe = cfg.preset().steps
    if cfg.total_steps() == recipe:
        console.print(
            f"install it as testbed:{model} with: reasonlab testbed ship --model {model} --from {folder}"
        )
    else:
        console.print(
            f"{cfg.total_steps()} of the recipe's {recipe} steps: `reasonlab testbed ship` takes full runs"
        )


@app.command("ship")
def ship_cmd(
    model: str = typer.Option(..., help="Which shipped model to replace: target or draft."),
    from_: str = typer.Option(..., "--from", help="Model folder `reasonlab testbed train` wrote."),
) -> None:
    """Replace a shipped testbed model by a trained one (the full recipe of its preset), atomically.
    Its card keeps the previous figures, marked stale, until testbed_cards.py measures the new weights."""
    from reasonlab.testbed.ship import measure_command, ship

    folder = ship(model, from_)
    console.print(f"shipped {from_} as testbed:{model} ({folder})")
    console.print(
        "its card still shows the previous weights' figures, marked stale; measure these and rewrite it with:"
    )
    console.print(f"  {measure_command(model)}", highlight=False)
