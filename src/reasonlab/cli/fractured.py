"""`reasonlab fractured`: fractured sampling, the main job."""

from __future__ import annotations

import typer

from reasonlab.cli.common import (
    SYSTEM_PROMPT_HELP,
    by_model,
    config_from,
    console,
    load_engine,
    load_task,
    metrics_table,
    parse_settings,
)
from reasonlab.core.runs import open_run
from reasonlab.jobs import fractured as fj
from reasonlab.jobs.common import config_dict
from reasonlab.sampling.fractured_metrics import format_fit

F = fj.FracturedJobConfig()


def fractured(
    model: str = typer.Option(F.model, help="Local Hugging Face folder or testbed:<name>."),
    task: str = typer.Option(F.task, help="Registered task."),
    dataset: str = typer.Option(None, help='JSONL file of {"problem", "answer"} lines (instead of --task).'),
    settings: list[str] = typer.Option(None, "--set", help="Task option key=value (repeatable)."),
    num_problems: int = typer.Option(F.num_problems),
    n: int = typer.Option(F.n, "-n", help="Trajectories per problem."),
    H: int = typer.Option(F.H, "-H", help="Cut depths per trajectory (the last is the full thinking)."),
    m: int = typer.Option(F.m, "-m", help="Forced answers per cut."),
    cut_by: str = typer.Option(F.cut_by, help="tokens (as the paper) or steps (at step delimiters)."),
    temperature: float = typer.Option(F.temperature),
    top_p: float = typer.Option(F.top_p),
    max_tokens: int = typer.Option(None, help=by_model("max_tokens", "Cap per trajectory")),
    answer_max_tokens: int = typer.Option(None, help=by_model("answer_max_tokens", "Cap per forced answer")),
    block_size: int = typer.Option(F.block_size, help="Round cuts down to this multiple (16 for vLLM)."),
    early_first: int = typer.Option(F.early_first, help="Early stopping: first probed cut index."),
    early_interval: int = typer.Option(F.early_interval, help="Early stopping: probe every this many cuts."),
    seed: int = typer.Option(F.seed),
    system_prompt: str = typer.Option(None, help=SYSTEM_PROMPT_HELP),
    think_open: str = typer.Option(None),
    think_close: str = typer.Option(None),
    engine: str = typer.Option(F.engine, help="hf or vllm."),
    device: str = typer.Option(F.device),
    dtype: str = typer.Option(F.dtype),
    chunk: int = typer.Option(F.chunk, help="Problems per engine call and per checkpoint."),
    out: str = typer.Option(None, help="Run folder (default runs/fractured-<config hash>)."),
    overwrite: bool = typer.Option(False),
    progress: bool = typer.Option(True),
) -> None:
    """Fractured sampling: n trajectories x H cuts x m answers; pass@k vs tokens per axis."""
    cfg = config_from(
        fj.FracturedJobConfig,
        locals(),
        task="jsonl" if dataset else task,
        task_options=parse_settings(settings),
    )
    task_obj = load_task(task, dataset, settings)
    eng, think = load_engine(engine, model, device, dtype, think_open, think_close)
    think.require("fractured sampling")
    with open_run(
        "fractured",
        config_dict(cfg),
        out=out,
        inputs={"dataset": dataset},
        overwrite=overwrite,
        say=console.print,
    ) as run:
        summary = fj.run_fractured(cfg, eng, task_obj, think, run, progress=progress)
        fj.plot_curves(summary, run.path("passk_vs_tokens.png"), f"{model}: pass@k vs tokens")
        folder = run.finish(summary, fj.report_markdown(cfg, summary))
    rows = summary_rows(summary)
    console.print(metrics_table(f"fractured: {model}", rows))
    for warning in summary["warnings"]:
        console.print(f"[bold yellow]warning:[/] {warning}")
    console.print(f"run folder: {folder}")


def summary_rows(summary: dict) -> list[tuple[str, str]]:
    """The rows of the table `reasonlab fractured` prints (README and docs quote it)."""
    rows = []
    for axis, c in summary["curves"].items():
        rows.append(
            (f"{axis}: pass@1 -> pass@{len(c['pass@k'])}", f"{c['pass@k'][0]:.3f} -> {c['pass@k'][-1]:.3f}")
        )
        rows.append(
            (
                f"{axis}: tokens, slope / ln, R^2",
                f"{c['budget'][0]:.0f}-{c['budget'][-1]:.0f}, " + ", ".join(format_fit(c["fit"])),
            )
        )
    rows += [(f"vote: {k}", f"{v:.3f}") for k, v in summary["majority_vote"].items()]
    e = summary["early_stopping"]
    rows.append(
        (
            "early stop: tokens saved, acc",
            f"{100 * e['tokens_saved']:.1f}%, {e['accuracy_early']:.3f} vs {e['accuracy_full']:.3f}",
        )
    )
    meas = summary["measured"]
    rows.append(
        (
            "per problem: generated / prefill computed / reused",
            f"{meas['generated_per_problem']:.0f} / {meas['prefill_computed_per_problem']:.0f} / "
            f"{meas['prefill_reused_per_problem']:.0f}",
        )
    )
    if summary["collapsed_cuts"]:
        rows.append(("collapsed cuts (voting once)", str(summary["collapsed_cuts"])))
    return rows
