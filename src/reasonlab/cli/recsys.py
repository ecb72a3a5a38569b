"""`reasonlab recsys synth|train`: cross-domain recommendation (SCCDR and baselines)."""

from __future__ import annotations

import json

import typer

from reasonlab.cli.common import console, metrics_table, parse_settings
from reasonlab.cli.options import ConfigFlags, config_options, parse_list
from reasonlab.core.options import from_settings
from reasonlab.recsys.config import DataConfig, FitConfig

app = typer.Typer(help="Cross-domain recommendation: SCCDR and baselines.", no_args_is_help=True)

HPARAMS_HELP = "Model hyperparameter key=value (repeatable), e.g. dim=32, inter_weight=1."


@app.command("synth")
def synth_cmd(
    out: str = typer.Option(..., help="Folder for source/source.inter and target/target.inter."),
    settings: list[str] = typer.Option(
        None, "--set", help="Generator option key=value (repeatable), e.g. relatedness=0.2."
    ),
    overwrite: bool = typer.Option(False, help="Replace an existing data folder."),
) -> None:
    """Write a synthetic pair of domains with shared user taste (RecBole atomic files)."""
    from reasonlab.recsys.synth import SynthConfig, write_pair

    cfg = from_settings(SynthConfig, parse_settings(settings), "recsys synth")
    source, target = write_pair(cfg, out, overwrite=overwrite)
    console.print(f"wrote {source} and {target}")


@app.command("train")
@config_options(DataConfig, FitConfig)
def train_cmd(
    flags: ConfigFlags,
    settings: list[str] = typer.Option(None, "--set", help=HPARAMS_HELP),
    out: str = typer.Option(None, help="Run folder (default runs/recsys-<config hash>)."),
    overwrite: bool = typer.Option(False, help="Replace an existing run folder."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Train one recommender, stop early on validation NDCG@10, report test metrics."""
    data_cfg = flags.build(DataConfig)  # checked before torch is imported
    fit_cfg = flags.build(FitConfig, hparams=_hparams(settings))
    from reasonlab.jobs.recsys import run_train

    folder = run_train(data_cfg, fit_cfg, out, overwrite, progress, say=console.print)
    summary = json.loads((folder / "summary.json").read_text())
    for note in summary["notes"]:
        console.print(f"note: {note}")
    rows = [
        (k, f"{v:.4f}")
        for k, v in summary["test"].items()
        if k.split("@")[0].split("/")[-1] in ("recall", "ndcg")
    ]
    console.print(metrics_table(f"{fit_cfg.model}: test (best epoch {summary['best_epoch']})", rows))
    console.print(f"run folder: {folder}")


def _hparams(settings: list[str] | None):
    from reasonlab.recsys.models import ModelConfig

    return from_settings(ModelConfig, parse_settings(settings), "model")


@app.command("bench")
@config_options(DataConfig, FitConfig, exclude=("model", "seed"))
def bench_cmd(
    flags: ConfigFlags,
    models: str = typer.Option(None, help="Comma-separated models (default: every model)."),
    seeds: str = typer.Option("0,1,2", help="Comma-separated seeds."),
    settings: list[str] = typer.Option(None, "--set", help=HPARAMS_HELP),
    out: str = typer.Option(None, help="Run folder (default runs/recsys-bench-<config hash>)."),
    overwrite: bool = typer.Option(False, help="Replace an existing run folder."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Every model x seed on one dataset pair: mean and std table, training curves, report.md."""
    seed_list = parse_list(seeds, int, "--seeds")
    data_cfg = flags.build(DataConfig)  # checked before torch is imported
    from reasonlab.jobs.recsys import bench_table, run_bench
    from reasonlab.recsys.models import MODELS

    names = parse_list(models, str, "--models") if models else list(MODELS)
    base = flags.build(FitConfig, hparams=_hparams(settings))
    for name in names:  # each model's settings checked before any data is read
        flags.build(FitConfig, model=name, hparams=base.hparams)
    folder = run_bench(data_cfg, base, names, seed_list, out, overwrite, progress, say=console.print)
    summary = json.loads((folder / "summary.json").read_text())
    console.print("\n".join(bench_table(summary["models"], keys=("recall@20", "ndcg@20"))))
    console.print(f"run folder: {folder}")
