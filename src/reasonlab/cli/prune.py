"""`reasonlab prune score` (block scores on calibration texts) and `reasonlab prune drop` (a pruned
model folder)."""

from __future__ import annotations

import typer

from reasonlab.cli.common import console
from reasonlab.cli.options import ConfigFlags, config_options
from reasonlab.jobs.prune import PruneDropConfig, PruneScoreConfig

app = typer.Typer(
    help="Block pruning: entropy (EntroDrop), cosine (ShortGPT / LLM-Drop) and NLL (SLEB) scores.",
    no_args_is_help=True,
)


@app.command("score")
@config_options(PruneScoreConfig)
def score_cmd(
    flags: ConfigFlags,
    out: str = typer.Option(None, help="Run folder (default runs/prune-score-<config hash>)."),
    overwrite: bool = typer.Option(False, help="Replace a finished run folder."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Score every layer's attention, MLP and whole-layer blocks on calibration texts: entropy
    increase (kNN, bucket, Renyi), 1 - cos and greedy NLL; scores.json, scores.png, report.md."""
    cfg = flags.build(PruneScoreConfig)
    from reasonlab.core.runs import open_run
    from reasonlab.jobs.common import config_dict
    from reasonlab.jobs.prune import run_score, score_report, score_summary
    from reasonlab.models.loading import resolve_model_path

    inputs = {"calibration": cfg.calibration, "model": resolve_model_path(cfg.model)}
    with open_run(
        "prune-score",
        config_dict(cfg),
        out=out,
        inputs=inputs,
        overwrite=overwrite,
        resumes=False,
        say=console.print,
    ) as run:
        scores = run_score(cfg, run, progress=progress)
        folder = run.finish(score_summary(scores), score_report(scores))
    for method, by_block in scores["order"].items():
        for block, order in by_block.items():
            console.print(
                f"{method} {block}: drop order {', '.join(map(str, order)) or '(none)'}", highlight=False
            )
    console.print(f"run folder: {folder} (scores: {folder / 'scores.json'}, plot: {folder / 'scores.png'})")


@app.command("drop")
@config_options(PruneDropConfig)
def drop_cmd(
    flags: ConfigFlags,
    out: str = typer.Option(..., help="Folder of the pruned model (built in <out>.partial, then renamed)."),
    overwrite: bool = typer.Option(False, help="Replace an existing folder."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Drop k attention blocks, MLP blocks or whole layers, chosen by a score, and save the pruned
    model as a Hugging Face folder that every reasonlab command loads."""
    cfg = flags.build(PruneDropConfig)
    from reasonlab.jobs.prune import run_drop

    record = run_drop(cfg, out, overwrite=overwrite, progress=progress)
    console.print(
        f"dropped {record['blocks']} blocks of layers {', '.join(map(str, record['dropped']))} by {cfg.by}; "
        f"calibration NLL {record['nll_before']:.4f} -> {record['nll_after']:.4f}",
        highlight=False,
    )
    for key, label, fmt in (
        ("heldout_perplexity", f"held-out perplexity ({record['heldout_texts']} texts)", ".3f"),
        ("kv_bytes_per_token", "KV-cache bytes per token", ".0f"),
        ("decode_tokens_per_s", "decode tokens/s (batch 1, greedy)", ".1f"),
    ):
        before, after = record["before"][key], record["after"][key]
        if before is not None:
            console.print(
                f"{label}: {before:{fmt}} -> {after:{fmt}} ({after / before:.2f}x)", highlight=False
            )
    console.print(f"pruned model: {out}")
