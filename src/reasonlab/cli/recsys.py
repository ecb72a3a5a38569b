"""`reasonlab recsys synth|train`: cross-domain recommendation (SCCDR and baselines)."""

from __future__ import annotations

import dataclasses
import json

import typer

from reasonlab.cli.common import (
    console,
    int_list,
    metrics_table,
    parse_settings,
    validated,
)
from reasonlab.core.options import from_settings
from reasonlab.jobs.recsys import DataConfig
from reasonlab.recsys.models import MODELS
from reasonlab.recsys.training import FitConfig

app = typer.Typer(help="Cross-domain recommendation: SCCDR and baselines.", no_args_is_help=True)

D = FitConfig()


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
def train_cmd(
    source: str = typer.Option(..., help="Source domain: RecBole dataset folder or .inter file."),
    target: str = typer.Option(..., help="Target domain: RecBole dataset folder or .inter file."),
    link: str = typer.Option(None, help="Atomic file with source_user_id and target_user_id fields."),
    model: str = typer.Option(D.model, help="pop, bprmf, graphsage, emcdr, ccdr or sccdr."),
    seed: int = typer.Option(D.seed),
    epochs: int = typer.Option(D.epochs),
    patience: int = typer.Option(
        D.patience, help="Epochs without a better validation NDCG@10 before stopping."
    ),
    lr: float = typer.Option(D.lr),
    batch_size: int = typer.Option(D.batch_size),
    pacing: str = typer.Option(D.pacing, help="Curriculum pacing (sccdr): none, linear, root."),
    difficulty: str = typer.Option(D.difficulty, help="Negative difficulty (sccdr): katz or degree."),
    cold_ratio: float = typer.Option(
        DataConfig.cold_ratio, help="Share of overlapping users held out as cold-start."
    ),
    index: str = typer.Option(D.index, help="faiss index for evaluation: flat (exact) or ivf."),
    eval_mode: str = typer.Option(
        D.eval_mode, help="full (rank every item) or uni100 (100 sampled negatives)."
    ),
    ks: str = typer.Option(",".join(map(str, D.ks)), help="Cut-offs K of the metrics, e.g. 10,20,50."),
    settings: list[str] = typer.Option(
        None, "--set", help="Model hyperparameter key=value (repeatable), e.g. dim=32, inter_weight=1."
    ),
    out: str = typer.Option(None, help="Run folder (default runs/recsys-<config hash>)."),
    overwrite: bool = typer.Option(False, help="Replace an existing run folder."),
    progress: bool = typer.Option(True),
) -> None:
    """Train one recommender, stop early on validation NDCG@10, report test metrics."""
    from reasonlab.jobs.recsys import run_train

    fit_cfg = FitConfig(
        model=model,
        seed=seed,
        epochs=epochs,
        patience=patience,
        lr=lr,
        batch_size=batch_size,
        pacing=pacing,
        difficulty=difficulty,
        index=index,
        eval_mode=eval_mode,
        ks=tuple(int_list(ks, "--ks")),
        hparams=_hparams(settings),
    )
    data_cfg = DataConfig(source=source, target=target, link=link, cold_ratio=cold_ratio)
    validated(fit_cfg, data_cfg)
    folder = run_train(data_cfg, fit_cfg, out, overwrite, progress, say=console.print)
    summary = json.loads((folder / "summary.json").read_text())
    for note in summary["notes"]:
        console.print(f"note: {note}")
    rows = [
        (k, f"{v:.4f}")
        for k, v in summary["test"].items()
        if k.split("@")[0].split("/")[-1] in ("recall", "ndcg")
    ]
    console.print(metrics_table(f"{model}: test (best epoch {summary['best_epoch']})", rows))
    console.print(f"run folder: {folder}")


def _hparams(settings: list[str] | None):
    from reasonlab.recsys.models import ModelConfig

    return from_settings(ModelConfig, parse_settings(settings), "model")


@app.command("bench")
def bench_cmd(
    source: str = typer.Option(..., help="Source domain: RecBole dataset folder or .inter file."),
    target: str = typer.Option(..., help="Target domain: RecBole dataset folder or .inter file."),
    link: str = typer.Option(None, help="Atomic file with source_user_id and target_user_id fields."),
    models: str = typer.Option(",".join(MODELS), help="Comma-separated models."),
    seeds: str = typer.Option("0,1,2", help="Comma-separated seeds."),
    epochs: int = typer.Option(D.epochs),
    patience: int = typer.Option(D.patience),
    lr: float = typer.Option(D.lr),
    batch_size: int = typer.Option(D.batch_size),
    cold_ratio: float = typer.Option(DataConfig.cold_ratio),
    ks: str = typer.Option(",".join(map(str, D.ks)), help="Cut-offs K of the metrics."),
    settings: list[str] = typer.Option(None, "--set", help="Model hyperparameter key=value (repeatable)."),
    out: str = typer.Option(None, help="Run folder (default runs/recsys-bench-<config hash>)."),
    overwrite: bool = typer.Option(False),
    progress: bool = typer.Option(True),
) -> None:
    """Every model x seed on one dataset pair: mean and std table, training curves, report.md."""
    from reasonlab.jobs.recsys import bench_table, run_bench

    names = [m.strip() for m in models.split(",") if m.strip()]
    base = FitConfig(
        epochs=epochs,
        patience=patience,
        lr=lr,
        batch_size=batch_size,
        ks=tuple(int_list(ks, "--ks")),
        hparams=_hparams(settings),
    )
    data_cfg = DataConfig(source=source, target=target, link=link, cold_ratio=cold_ratio)
    validated(*(dataclasses.replace(base, model=name) for name in names), data_cfg)
    seed_list = int_list(seeds, "--seeds")
    folder = run_bench(data_cfg, base, names, seed_list, out, overwrite, progress, say=console.print)
    summary = json.loads((folder / "summary.json").read_text())
    console.print("\n".join(bench_table(summary["models"], keys=("recall@20", "ndcg@20"))))
    console.print(f"run folder: {folder}")
