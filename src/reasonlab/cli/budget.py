"""`reasonlab budget`: accuracy and tokens under elastic thinking/solution budgets."""

from __future__ import annotations

import typer

from reasonlab.cli.common import (
    SYSTEM_PROMPT_HELP,
    by_model,
    config_from,
    console,
    int_list,
    load_engine,
    load_task,
    metrics_table,
    parse_settings,
)
from reasonlab.core.runs import open_run
from reasonlab.jobs import budget as bj
from reasonlab.jobs.common import config_dict

B = bj.BudgetJobConfig()


def budget(
    model: str = typer.Option(B.model, help="Local Hugging Face folder or testbed:<name>."),
    task: str = typer.Option(B.task),
    dataset: str = typer.Option(None),
    settings: list[str] = typer.Option(None, "--set", help="Task option key=value (repeatable)."),
    num_problems: int = typer.Option(B.num_problems),
    n: int = typer.Option(B.n, "-n", help="Samples per problem."),
    thinking: str = typer.Option(
        ",".join(map(str, B.thinking)),
        help="Thinking budgets t; -1 = unlimited, up to --max-thinking tokens (then closed by force).",
    ),
    solution: int = typer.Option(
        None,
        help=by_model("solution", "Solution budget s: tokens after the close marker; must fit an answer"),
    ),
    wrap_up: str = typer.Option(None, help="Message inserted before a forced close (Qwen3 style)."),
    min_thinking: int = typer.Option(B.min_thinking, help='Replace an earlier close with "Wait" (s1).'),
    max_extensions: int = typer.Option(B.max_extensions, help='Times a close may become "Wait".'),
    wait: str = typer.Option(B.wait, help="The word that replaces an early close."),
    max_thinking: int = typer.Option(
        None, help=by_model("max_thinking", "Thinking tokens that t = -1 stands for (a forced close there)")
    ),
    temperature: float = typer.Option(B.temperature),
    top_p: float = typer.Option(B.top_p),
    seed: int = typer.Option(B.seed),
    system_prompt: str = typer.Option(None, help=SYSTEM_PROMPT_HELP),
    think_open: str = typer.Option(None),
    think_close: str = typer.Option(None),
    engine: str = typer.Option(B.engine),
    device: str = typer.Option(B.device),
    dtype: str = typer.Option(B.dtype),
    chunk: int = typer.Option(B.chunk),
    out: str = typer.Option(None, help="Run folder (default runs/budget-<config hash>)."),
    overwrite: bool = typer.Option(False),
    progress: bool = typer.Option(True),
) -> None:
    """Elastic budgets: accuracy and tokens for each thinking budget t with solution budget s."""
    cfg = config_from(
        bj.BudgetJobConfig,
        locals(),
        task="jsonl" if dataset else task,
        task_options=parse_settings(settings),
        thinking=int_list(thinking, "--thinking", example="16,32,-1"),
    )
    task_obj = load_task(task, dataset, settings)
    eng, think = load_engine(engine, model, device, dtype, think_open, think_close)
    think.require("thinking budgets")
    with open_run(
        "budget",
        config_dict(cfg),
        out=out,
        inputs={"dataset": dataset},
        overwrite=overwrite,
        unit="(budget, problem) pairs",
        say=console.print,
    ) as run:
        summary = bj.run_budget(cfg, eng, task_obj, think, run, progress=progress)
        bj.plot_budgets(summary, run.path("budgets.png"), f"{model}: accuracy under thinking budgets")
        folder = run.finish(summary, bj.report_markdown(cfg, summary))
    rows = [
        (
            bj.t_label(r["thinking_budget"], r["thinking_cap"]) + f", s={r['solution_budget']}",
            f"acc {r['accuracy']:.3f}, {r['tokens']:.1f} tok ({r['thinking_tokens']:.1f} thinking), "
            f"forced {r['forced_rate']:.0%}, solutions cut {r['solution_cut_rate']:.0%}",
        )
        for r in summary["budgets"]
    ]
    console.print(metrics_table(f"budget: {model}", rows))
    for warning in summary["warnings"]:
        console.print(f"[bold yellow]warning:[/] {warning}")
    console.print(f"run folder: {folder}")
