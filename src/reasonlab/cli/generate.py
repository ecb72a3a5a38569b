"""`reasonlab generate` and `reasonlab evaluate`: sample and grade problems, into a run folder.

`evaluate` is `generate` with evaluation defaults (the trained testbed target, 100 problems, and
forced answers at 25/50/75% of the thinking), so both share one option list.
"""

from __future__ import annotations

import copy
import inspect
import typing

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
from reasonlab.core.errors import ReasonlabError
from reasonlab.core.runs import open_run
from reasonlab.jobs import evaluate as ev
from reasonlab.jobs.common import config_dict
from reasonlab.jobs.generate import GenerateConfig, plot_lengths, report_markdown, run_generate

D = ev.EvaluateConfig()


def parse_cuts(text: str | None) -> list[float]:
    if not text:
        return []
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ReasonlabError(
            f"--cuts expects comma-separated fractions like 0.25,0.5, got {text!r}"
        ) from None


def generate(
    model: str = typer.Option(D.model, help="Local Hugging Face folder or testbed:<name>."),
    task: str = typer.Option(D.task, help="Registered task (see `reasonlab tasks list`)."),
    dataset: str = typer.Option(None, help='JSONL file of {"problem", "answer"} lines (instead of --task).'),
    settings: list[str] = typer.Option(None, "--set", help="Task option key=value (repeatable)."),
    num_problems: int = typer.Option(GenerateConfig.num_problems, help="Problems to sample."),
    n: int = typer.Option(D.n, "-n", help="Samples per problem."),
    temperature: float = typer.Option(D.temperature),
    top_p: float = typer.Option(D.top_p),
    top_k: int = typer.Option(D.top_k, help="-1 = disabled."),
    max_tokens: int = typer.Option(None, help=by_model("max_tokens", "Cap on generated tokens per sample")),
    thinking_budget: int = typer.Option(
        D.thinking_budget, help="Cap on thinking tokens (-1 = none); forces the close."
    ),
    cuts: str = typer.Option("", help="Also force answers at these thinking fractions, e.g. 0.25,0.5,0.75."),
    answer_max_tokens: int = typer.Option(
        None, help=by_model("answer_max_tokens", "Cap on each forced answer (with --cuts)")
    ),
    seed: int = typer.Option(D.seed),
    system_prompt: str = typer.Option(None, help=SYSTEM_PROMPT_HELP),
    think_open: str = typer.Option(None, help="Open-thinking marker, if not <think>."),
    think_close: str = typer.Option(None, help="Close-thinking marker, if not </think>."),
    engine: str = typer.Option(D.engine, help="hf (transformers) or vllm."),
    device: str = typer.Option(D.device),
    dtype: str = typer.Option(D.dtype, help="auto, float32, bfloat16 or float16."),
    chunk: int = typer.Option(D.chunk, help="Problems per engine call and per checkpoint."),
    out: str = typer.Option(None, help="Run folder (default runs/<command>-<config hash>)."),
    overwrite: bool = typer.Option(False, help="Replace an existing run folder."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Sample problems, grade the answers, report pass@k, majority vote and token cost."""
    overrides = dict(task="jsonl" if dataset else task, task_options=parse_settings(settings))
    fractions = parse_cuts(cuts)
    if fractions:
        cfg = config_from(ev.EvaluateConfig, locals(), **overrides, cuts=fractions)
    else:
        cfg = config_from(GenerateConfig, locals(), **overrides)
    task_obj = load_task(task, dataset, settings)
    eng, think = load_engine(engine, model, device, dtype, think_open, think_close)
    if thinking_budget != -1:
        think.require("--thinking-budget")
    if fractions:
        think.require("--cuts")
    command = "evaluate" if fractions else "generate"
    with open_run(
        command,
        config_dict(cfg),
        out=out,
        inputs={"dataset": dataset},
        overwrite=overwrite,
        say=console.print,
    ) as run:
        if fractions:
            summary = ev.run_evaluate(cfg, eng, task_obj, think, run, progress=progress)
            ev.plot_depth(summary, run.path("depth.png"), f"{model}: accuracy vs thinking depth")
            report = ev.report_markdown(cfg, summary)
        else:
            summary = run_generate(cfg, eng, task_obj, think, run, progress=progress)
            report = report_markdown(cfg, summary)
        plot_lengths(list(run.records()), run.path("lengths.png"))
        folder = run.finish(summary, report)
    rows = [("problems x samples", f"{summary['problems']} x {cfg.n}")]
    rows += [(f"pass@{k}", f"{v:.3f}") for k, v in summary["pass@k"].items()]
    rows += [
        ("majority vote", f"{summary['majority_accuracy']:.3f}"),
        ("tokens / problem", f"{summary['tokens_per_problem']:.1f}"),
        (
            "prefill computed / reused",
            f"{summary['usage']['prefill_computed']} / {summary['usage']['prefill_reused']}",
        ),
        ("FLOPs (est.)", f"{summary['flops']['total']:.3g}"),
    ]
    for f, d in summary.get("accuracy_by_thinking_depth", {}).items():
        rows.append(
            (
                f"accuracy, thinking cut at {float(f):.0%}",
                f"{d['accuracy']:.3f} ({d['thinking_tokens']:.0f} tok)",
            )
        )
    console.print(metrics_table(f"{command}: {model}", rows))
    console.print(f"run folder: {folder}")


def with_defaults(fn, doc: str, **defaults):
    """The same command with other defaults (typer reads defaults from the signature)."""
    sig = inspect.signature(fn)
    hints = typing.get_type_hints(fn)  # resolved types: typer tells flags from options by them
    params = []
    for p in sig.parameters.values():
        p = p.replace(annotation=hints[p.name])
        if p.name in defaults:
            option = copy.copy(p.default)
            option.default = defaults[p.name]
            p = p.replace(default=option)
        params.append(p)

    def command(**kwargs):
        return fn(**kwargs)

    command.__signature__ = sig.replace(parameters=params)
    command.__doc__ = doc
    return command


evaluate = with_defaults(
    generate,
    "Evaluate a model: pass@1/pass@k, majority vote, tokens, and accuracy with the thinking cut short.",
    num_problems=D.num_problems,
    cuts=",".join(str(c) for c in D.cuts),
)
