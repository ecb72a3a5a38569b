"""`reasonlab generate`: sample and grade problems with a model, into a run folder."""

from __future__ import annotations

import typer

from reasonlab.cli.common import console, default_run_dir, metrics_table, parse_settings
from reasonlab.core.errors import ReasonlabError
from reasonlab.core.runs import Run
from reasonlab.engines import create_engine
from reasonlab.jobs.generate import GenerateConfig, config_dict, plot_lengths, report_markdown, run_generate
from reasonlab.models.think import detect_think_format
from reasonlab.tasks import create_task

D = GenerateConfig()


def generate(
    model: str = typer.Option(D.model, help="Local Hugging Face folder or testbed:<name>."),
    task: str = typer.Option(D.task, help="Registered task (see `reasonlab tasks list`)."),
    dataset: str = typer.Option(None, help='JSONL file of {"problem", "answer"} lines (instead of --task).'),
    settings: list[str] = typer.Option(None, "--set", help="Task option key=value (repeatable)."),
    num_problems: int = typer.Option(D.num_problems, help="Problems to sample."),
    n: int = typer.Option(D.n, "-n", help="Samples per problem."),
    temperature: float = typer.Option(D.temperature),
    top_p: float = typer.Option(D.top_p),
    top_k: int = typer.Option(D.top_k, help="-1 = disabled."),
    max_tokens: int = typer.Option(D.max_tokens, help="Cap on generated tokens per sample."),
    thinking_budget: int = typer.Option(
        D.thinking_budget, help="Cap on thinking tokens (-1 = none); forces the close."
    ),
    seed: int = typer.Option(D.seed),
    system_prompt: str = typer.Option(None, help="System message for the chat template."),
    think_open: str = typer.Option(None, help="Open-thinking marker, if not <think>."),
    think_close: str = typer.Option(None, help="Close-thinking marker, if not </think>."),
    engine: str = typer.Option(D.engine, help="hf (transformers) or vllm."),
    device: str = typer.Option(D.device),
    dtype: str = typer.Option(D.dtype, help="auto, float32, bfloat16 or float16."),
    chunk: int = typer.Option(D.chunk, help="Problems per engine call and per checkpoint."),
    out: str = typer.Option(None, help="Run folder (default runs/generate-<config hash>)."),
    overwrite: bool = typer.Option(False, help="Replace an existing run folder."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Sample problems, grade the answers, report pass@k, majority vote and token cost."""
    cfg = GenerateConfig(
        model=model,
        engine=engine,
        task="jsonl" if dataset else task,
        task_options=parse_settings(settings),
        dataset=dataset,
        num_problems=num_problems,
        n=n,
        temperature=temperature,
        top_p=top_p,
        top_k=top_k,
        max_tokens=max_tokens,
        thinking_budget=thinking_budget,
        seed=seed,
        system_prompt=system_prompt,
        think_open=think_open,
        think_close=think_close,
        device=device,
        dtype=dtype,
        chunk=chunk,
    )
    cfg.validate()
    cfg.sampling_params()  # validates sampling flags before anything is loaded
    if dataset and cfg.task_options:
        raise ReasonlabError("--set applies to --task, not to --dataset")
    task_obj = create_task("jsonl", path=dataset) if dataset else create_task(cfg.task, **cfg.task_options)
    eng = create_engine(engine, model, device=device, dtype=dtype)
    think = detect_think_format(eng.tokenizer, think_open, think_close, model_name=model)
    if thinking_budget != -1:
        think.require("--thinking-budget")
    config = config_dict(cfg)
    run = Run.open(out or default_run_dir("generate", config), config, overwrite=overwrite)
    if run.resumed:
        console.print(f"resuming: {run.resumed} problems already done in {run.partial}")
    summary = run_generate(cfg, eng, task_obj, think, run, progress=progress)
    plot_lengths(list(run.records()), run.path("lengths.png"))
    folder = run.finish(summary, report_markdown(cfg, summary))
    rows = [("problems x samples", f"{summary['problems']} x {cfg.n}")]
    rows += [(f"pass@{k}", f"{v:.3f}") for k, v in summary["pass@k"].items()]
    rows += [
        ("majority vote", f"{summary['majority_accuracy']:.3f}"),
        ("tokens / sample", f"{summary['tokens_per_sample']:.1f}"),
        (
            "prefill computed / reused",
            f"{summary['usage']['prefill_computed']} / {summary['usage']['prefill_reused']}",
        ),
        ("FLOPs (est.)", f"{summary['flops']['total']:.3g}"),
    ]
    console.print(metrics_table(f"generate: {model}", rows))
    console.print(f"run folder: {folder}")
