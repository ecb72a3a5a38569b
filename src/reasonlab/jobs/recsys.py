"""Recommendation jobs: train one model (`recsys train`) or every model x seeds (`recsys bench`).

Both write a run folder (config.json, summary.json, report.md, plots) atomically, through the
lifecycle of core/runs.py (`open_run`): config.json fingerprints the .inter and link files, so the
run id follows their contents. `train` resumes from its epoch checkpoint; `bench` records each
finished (model, seed) and skips it on a rerun.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from reasonlab.core.runs import Run, open_run, write_atomic
from reasonlab.recsys.config import DataConfig
from reasonlab.recsys.data import CrossDomainData
from reasonlab.recsys.models import MODELS
from reasonlab.recsys.training import VALID_METRIC, FitConfig, FitResult, fit

HEADLINE = ("recall@20", "ndcg@20", "hit@10", "mrr@10")


def data_stats(data: CrossDomainData) -> dict[str, int]:
    s = data.split
    return {
        "source_users": data.source.n_users,
        "source_items": data.source.n_items,
        "source_interactions": len(data.source.user),
        "target_users": data.target.n_users,
        "target_items": data.target.n_items,
        "overlapping_users": len(data.overlap),
        "cold_start_users": len(s.cold_users),
        "train": len(s.train[0]),
        "valid": len(s.valid[0]),
        "test": len(s.test[0]),
        "cold_test": len(s.cold_test[0]),
    }


def _metric_rows(metrics: dict[str, float]) -> list[str]:
    names = [k for k in metrics if not k.startswith("cold/")]
    rows = ["| metric | all test users | cold-start users |", "|---|---|---|"]
    rows += [f"| {k} | {metrics[k]:.4f} | {metrics.get('cold/' + k, float('nan')):.4f} |" for k in names]
    return rows


def train_config(data_cfg: DataConfig, fit_cfg: FitConfig) -> dict[str, Any]:
    """What config.json of a `recsys train` run holds (and its default folder name hashes)."""
    return {"data": dataclasses.asdict(data_cfg), "fit": dataclasses.asdict(fit_cfg)}


def bench_config(
    data_cfg: DataConfig, base: FitConfig, models: list[str], seeds: list[int]
) -> dict[str, Any]:
    """What config.json of a `recsys bench` run holds."""
    return {**train_config(data_cfg, base), "models": models, "seeds": seeds}


def run_train(
    data_cfg: DataConfig,
    fit_cfg: FitConfig,
    out: str | None,
    overwrite: bool,
    progress: bool,
    say: Callable[[str], None] = print,
) -> Path:
    """Load the pair and train into a run folder (default runs/recsys-<config and data hash>)."""
    data = data_cfg.load()
    config = train_config(data_cfg, fit_cfg)
    inputs = data_cfg.input_files()
    with open_run("recsys", config, out=out, inputs=inputs, overwrite=overwrite, say=say) as run:
        return train_into(run, data, data_cfg, fit_cfg, progress)


def train_into(
    run: Run, data: CrossDomainData, data_cfg: DataConfig, fit_cfg: FitConfig, progress: bool
) -> Path:
    """Train one model into an open run (it resumes from the run's checkpoint) and finish the run."""
    result = fit(data, fit_cfg, checkpoint=run.path("checkpoint.pt"), progress=progress)
    users, items = result.model.vectors()
    for name, array in (("user_vectors.npy", users), ("item_vectors.npy", items)):
        buf = io.BytesIO()
        np.save(buf, array)
        write_atomic(run.path(name), buf.getvalue())
    buf = io.BytesIO()
    torch.save(result.model.state_dict(), buf)
    write_atomic(run.path("model.pt"), buf.getvalue())
    if result.history:
        plot_training({fit_cfg.model: [result.history]}, run.path("training.png"))
    run.path("checkpoint.pt").unlink(missing_ok=True)
    summary = {
        "model": fit_cfg.model,
        "data": data_stats(data),
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history),
        "seconds_per_epoch": result.seconds_per_epoch,
        "test": result.test,
        "notes": result.notes,
        "history": result.history,
    }
    report = [
        f"# recsys train: {fit_cfg.model}",
        "",
        f"{MODELS[fit_cfg.model]}. Target {data_cfg.target}, source {data_cfg.source}.",
        f"Best validation {VALID_METRIC} at epoch {result.best_epoch} of {len(result.history)}; "
        f"{result.seconds_per_epoch:.2f} s per epoch.",
        "",
        *_metric_rows(result.test),
        *(["", *[f"- {n}" for n in result.notes]] if result.notes else []),
        "",
    ]
    if result.history:
        report += [
            f"Target-domain training loss (log scale) and validation {VALID_METRIC} by epoch:",
            "",
            "![training](training.png)",
            "",
        ]
    return run.finish(summary, "\n".join(report))


def plot_training(histories: dict[str, list[list[dict[str, Any]]]], path: Path) -> None:
    """Per model: target-domain training loss and validation NDCG@10 by epoch (one line per seed)."""
    from reasonlab.core.plots import new_figure, save_figure

    fig, (loss_ax, valid_ax) = new_figure(11, 4, ncols=2)
    for k, (model, runs) in enumerate(histories.items()):
        color = f"C{k}"
        for j, history in enumerate(runs):
            epochs = [h["epoch"] for h in history]
            label = model if j == 0 else None
            loss_ax.plot(epochs, [h["intra_target"] for h in history], color=color, alpha=0.7, label=label)
            valid_ax.plot(epochs, [h[f"valid/{VALID_METRIC}"] for h in history], color=color, alpha=0.7)
    loss_ax.set(xlabel="epoch", ylabel="target-domain training loss", yscale="log")
    valid_ax.set(xlabel="epoch", ylabel=f"validation {VALID_METRIC}")
    loss_ax.legend()
    save_figure(fig, path)


def result_record(model: str, seed: int, result: FitResult) -> dict[str, Any]:
    return {
        "id": f"{model}/{seed}",
        "model": model,
        "seed": seed,
        "test": result.test,
        "best_epoch": result.best_epoch,
        "seconds_per_epoch": result.seconds_per_epoch,
        "history": result.history,
    }


def summarize_bench(records: list[dict[str, Any]], models: list[str]) -> dict[str, Any]:
    """Mean and std over seeds of every test metric, per model, plus time and stability figures.

    Stability: the validation NDCG@10 curve's mean absolute epoch-to-epoch change after the first
    epoch, and the std of the test metric over seeds.
    """
    table: dict[str, Any] = {}
    for model in models:
        runs = [r for r in records if r["model"] == model]
        if not runs:
            continue
        metrics = {}
        for key in runs[0]["test"]:
            values = np.array([r["test"][key] for r in runs], dtype=np.float64)
            metrics[key] = {"mean": float(values.mean()), "std": float(values.std())}
        jitter = [
            float(np.mean(np.abs(np.diff([h[f"valid/{VALID_METRIC}"] for h in r["history"]]))))
            for r in runs
            if len(r["history"]) > 2
        ]
        table[model] = {
            "seeds": [r["seed"] for r in runs],
            "test": metrics,
            "seconds_per_epoch": float(np.mean([r["seconds_per_epoch"] for r in runs])),
            "best_epoch": float(np.mean([r["best_epoch"] for r in runs])),
            "valid_jitter": float(np.mean(jitter)) if jitter else None,
        }
    return table


def bench_table(table: dict[str, Any], keys: tuple[str, ...] = HEADLINE) -> list[str]:
    cols = [*keys, *[f"cold/{k}" for k in keys]]
    rows = ["| model | " + " | ".join(cols) + " | s/epoch | best epoch | valid jitter |"]
    rows.append("|---" * (len(cols) + 4) + "|")
    for model, entry in table.items():
        cells = [f"{entry['test'][c]['mean']:.4f} ± {entry['test'][c]['std']:.4f}" for c in cols]
        jitter = "-" if entry["valid_jitter"] is None else f"{entry['valid_jitter']:.4f}"
        rows.append(
            f"| {model} | "
            + " | ".join(cells)
            + f" | {entry['seconds_per_epoch']:.2f} | {entry['best_epoch']:.1f} | {jitter} |"
        )
    return rows


def run_bench(
    data_cfg: DataConfig,
    base: FitConfig,
    models: list[str],
    seeds: list[int],
    out: str | None,
    overwrite: bool,
    progress: bool,
    say: Callable[[str], None] = print,
) -> Path:
    """Every model x seed on one dataset pair, into a run folder (default runs/recsys-bench-<hash>)."""
    data = data_cfg.load()
    config = bench_config(data_cfg, base, models, seeds)
    inputs = data_cfg.input_files()
    with open_run(
        "recsys-bench",
        config,
        out=out,
        inputs=inputs,
        overwrite=overwrite,
        unit="(model, seed) runs",
        say=say,
    ) as run:
        return bench_into(run, data, data_cfg, base, models, seeds, progress)


def bench_into(
    run: Run,
    data: CrossDomainData,
    data_cfg: DataConfig,
    base: FitConfig,
    models: list[str],
    seeds: list[int],
    progress: bool,
) -> Path:
    """Every model x seed into an open run; the split is fixed, seeds change init and batches."""
    from reasonlab.recsys.retrieval import throughput

    vectors = None
    for model in models:
        for seed in seeds:
            if run.done(f"{model}/{seed}"):
                continue
            ckpt = run.path(f"checkpoint-{model}-{seed}.pt")
            cfg = dataclasses.replace(base, model=model, seed=seed)
            result = fit(data, cfg, checkpoint=ckpt, progress=progress)
            run.add(result_record(model, seed, result))
            ckpt.unlink(missing_ok=True)
            if result.history:
                vectors = result.model.vectors()
    records = list(run.records())
    table = summarize_bench(records, models)
    histories = {m: [r["history"] for r in records if r["model"] == m and r["history"]] for m in models}
    plot_training({m: h for m, h in histories.items() if h}, run.path("loss_stability.png"))
    speed = throughput(*vectors) if vectors is not None else {}
    summary = {"data": data_stats(data), "models": table, "retrieval": speed}
    report = [
        "# recsys bench",
        "",
        f"Target {data_cfg.target}, source {data_cfg.source}; seeds {seeds} (model init and batches;",
        f"the split is fixed by split seed {data_cfg.split_seed}). Test metrics, mean ± std over seeds;",
        "`cold/` = cold-start users.",
        "",
        *bench_table(table),
        "",
        "Retrieval over the target catalogue (queries/s, same vectors, side by side): "
        + ", ".join(f"{k} {v:,.0f}" if k.endswith("qps") else f"{k} {v:.3f}" for k, v in speed.items()),
        "",
        "![training](loss_stability.png)",
        "",
    ]
    return run.finish(summary, "\n".join(report))
