"""`reasonlab testbed train` (into a run folder) and `reasonlab testbed ship` (into the package)."""

from __future__ import annotations

import typer

from reasonlab.cli.common import console
from reasonlab.cli.options import ConfigFlags, config_options
from reasonlab.testbed.config import TrainConfig

app = typer.Typer(help="The built-in tiny reasoning models.", no_args_is_help=True)


@app.command("train")
@config_options(TrainConfig)
def train_cmd(
    flags: ConfigFlags,
    overwrite: bool = typer.Option(False, help="Replace a finished model folder at --out."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Train a testbed model from scratch on arith reasoning traces into a run folder (resumable).
    `reasonlab testbed ship` installs the result as the shipped model."""
    cfg = flags.build(TrainConfig)  # checked before torch is imported
    from reasonlab.testbed.train import train
    from reasonlab.training.distributed import DataParallel

    folder = train(cfg, progress=progress, overwrite=overwrite, say=console.print)
    if not DataParallel.from_env().is_main:  # under `accelerate launch`: one process reports
        return
    console.print(f"saved {folder} (loss curve: {folder / 'loss_curve.png'})")
    recipe = cfg.preset().steps
    if cfg.total_steps() == recipe:
        ship = f"reasonlab testbed ship --model {cfg.model} --from {folder}"
        console.print(f"install it as testbed:{cfg.model} with: {ship}")
    else:
        console.print(
            f"{cfg.total_steps()} of the recipe's {recipe} steps: `reasonlab testbed ship` takes full runs"
        )


@app.command("ship")
def ship_cmd(
    model: str = typer.Option(..., help="Which shipped model to replace: target, draft, prm or orm."),
    from_: str = typer.Option(
        ..., "--from", help="Model folder `reasonlab testbed train` (prm, orm: `reasonlab prm train`) wrote."
    ),
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
