"""`reasonlab generate`: sample a task's problems with a model, grade them, write a run folder.

The config dataclass's fields are the CLI flags (TRL style). Problems are processed in chunks; each
finished problem is appended to the run's samples.jsonl, so an interrupted run resumes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from reasonlab.core.cost import Usage, estimate_flops, total_usage
from reasonlab.core.errors import ReasonlabError
from reasonlab.core.passk import majority_vote, mean_pass_at_k
from reasonlab.core.progress import progress_bar
from reasonlab.core.runs import Run
from reasonlab.core.seeds import derive_seed
from reasonlab.engines.base import CompletionOutput, Engine, SamplingParams
from reasonlab.jobs.common import RunInputs, sampling_warnings, warning_lines
from reasonlab.models.defaults import TESTBED_DEFAULTS
from reasonlab.models.loading import chat_prompt_ids
from reasonlab.models.think import ThinkFormat
from reasonlab.sampling.budget import ElasticBudget, budgeted_generate
from reasonlab.tasks.base import Problem, Task


@dataclass
class GenerateConfig(RunInputs):
    num_problems: int = field(default=16, metadata={"help": "Problems to sample."})
    n: int = field(default=4, metadata={"help": "Samples per problem."})
    temperature: float = field(default=0.6, metadata={"help": "Sampling temperature (0 = greedy)."})
    top_p: float = field(default=0.95, metadata={"help": "Nucleus sampling: keep this probability mass."})
    top_k: int = field(default=-1, metadata={"help": "Keep the k likeliest tokens; -1 = disabled."})
    # model-dependent (models/defaults.py)
    max_tokens: int = field(
        default=TESTBED_DEFAULTS["max_tokens"], metadata={"help": "Cap on generated tokens per sample."}
    )
    thinking_budget: int = field(
        default=-1, metadata={"help": "Cap on thinking tokens (-1 = none); forces the close marker."}
    )
    seed: int = field(default=0, metadata={"help": "Sampling seed (each problem derives its own)."})
    chunk: int = field(default=8, metadata={"help": "Problems per engine call and per checkpoint."})

    def validate(self) -> None:
        if self.num_problems < 1:
            raise ReasonlabError(f"num_problems must be at least 1, got {self.num_problems}")
        if self.chunk < 1:
            raise ReasonlabError(f"chunk must be at least 1, got {self.chunk}")
        if self.thinking_budget != -1 and not 1 <= self.thinking_budget < self.max_tokens:
            raise ReasonlabError(
                f"thinking_budget must be -1 or in [1, max_tokens) = [1, {self.max_tokens}), "
                f"got {self.thinking_budget}"
            )

    def sampling_params(self) -> SamplingParams:
        return SamplingParams(
            n=self.n,
            temperature=self.temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            max_tokens=self.max_tokens,
            seed=self.seed,
        )


def ks_for(n: int) -> list[int]:
    """pass@k reported at 1, 2, 4, ... up to n (and n itself)."""
    ks = [k for k in (2**i for i in range(12)) if k <= n]
    return ks if ks[-1] == n else ks + [n]


def grade_sample(
    task: Task, problem: Problem, out: CompletionOutput, think: ThinkFormat, forced_close: bool = False
) -> dict[str, Any]:
    thinking, _, closed = think.split(out.token_ids)
    pred = task.extract_answer(out.text, think.close_text)
    return {
        "text": out.text,
        "token_ids": out.token_ids,
        "tokens": len(out.token_ids),
        "thinking_tokens": len(thinking) if think.has_markers else None,
        "closed_thinking": closed if think.has_markers else None,
        "forced_close": forced_close,
        "finish_reason": out.finish_reason,
        "pred": pred,
        "correct": bool(task.check(problem, pred)),
    }


Augment = Callable[[list[Problem], list[list[int]], list[list[dict[str, Any]]]], None]


def run_generate(
    cfg: GenerateConfig,
    engine: Engine,
    task: Task,
    think: ThinkFormat,
    run: Run,
    progress: bool = True,
    augment: Augment | None = None,
) -> dict[str, Any]:
    """Sample, grade and checkpoint every problem; return the summary (also written to the run).

    `augment(problems, prompts, graded)` may add fields to each chunk's graded samples before they
    are checkpointed (evaluation adds forced answers at thinking cuts this way).
    """
    problems = task.problems(cfg.num_problems)
    todo = [p for p in problems if run.done(p.id) is None]
    params = cfg.sampling_params()
    if cfg.thinking_budget != -1:
        think.require("--thinking-budget")
    started = time.perf_counter()
    with progress_bar(len(problems), "problems", enabled=progress) as advance:
        advance(len(problems) - len(todo))
        for start in range(0, len(todo), cfg.chunk):
            chunk = todo[start : start + cfg.chunk]
            prompts = [chat_prompt_ids(engine.tokenizer, p.question, cfg.system_prompt, think) for p in chunk]
            # Seeded per problem: a resumed run samples exactly what an uninterrupted one does.
            seeded = [replace(params, seed=derive_seed(cfg.seed, p.id)) for p in chunk]
            if cfg.thinking_budget == -1:
                results = [[(o, False) for o in r.outputs] for r in engine.generate(prompts, seeded)]
            else:
                budget = ElasticBudget(
                    thinking=cfg.thinking_budget, solution=cfg.max_tokens - cfg.thinking_budget
                )
                budgeted = budgeted_generate(engine, prompts, seeded, think, budget)
                tok = engine.tokenizer
                results = [
                    [(b.as_completion(tok, j), b.forced_close) for j, b in enumerate(row)] for row in budgeted
                ]
            graded_chunk = [
                [grade_sample(task, problem, o, think, forced) for o, forced in samples]
                for problem, samples in zip(chunk, results)
            ]
            if augment is not None:
                augment(chunk, prompts, graded_chunk)
            for problem, prompt, samples, graded in zip(chunk, prompts, results, graded_chunk):
                usage = total_usage([o.usage for o, _ in samples])
                # Equivalent answers vote together; the winner is shown as one of its raw forms.
                keys = task.vote_keys(problem, [s["pred"] for s in graded], [s["correct"] for s in graded])
                winner = majority_vote(keys)
                majority = next(
                    (s["pred"] for s, k in zip(graded, keys) if winner is not None and k == winner), None
                )
                run.add(
                    {
                        "id": problem.id,
                        "question": problem.question,
                        "answer": problem.answer,
                        "prompt_tokens": len(prompt),
                        "usage": usage.to_dict(),
                        "majority_pred": majority,
                        "majority_correct": task.check(problem, majority),
                        "samples": graded,
                    }
                )
                advance(1)
    elapsed = time.perf_counter() - started
    return summarize([run.done(p.id) for p in problems], cfg.n, engine.num_params, elapsed, cfg.max_tokens)


def summarize(
    records: list[dict[str, Any]], n: int, num_params: int, elapsed_s: float, max_tokens: int | None = None
) -> dict[str, Any]:
    correct = [[s["correct"] for s in r["samples"]] for r in records]
    usage = total_usage([Usage(**r["usage"]) for r in records])
    samples = [s for r in records for s in r["samples"]]
    thinking = [s["thinking_tokens"] for s in samples if s["thinking_tokens"] is not None]
    unclosed = sum(s["finish_reason"] == "length" and s["closed_thinking"] is False for s in samples)
    return {
        "problems": len(records),
        "samples_per_problem": n,
        "pass@1": mean_pass_at_k(correct, 1),
        "pass@k": {str(k): mean_pass_at_k(correct, k) for k in ks_for(n)},
        "majority_accuracy": sum(r["majority_correct"] for r in records) / len(records),
        "tokens_per_sample": usage.generated / len(samples),
        "tokens_per_problem": usage.generated / len(records),
        "thinking_tokens_per_sample": sum(thinking) / len(thinking) if thinking else None,
        "closed_thinking_rate": (sum(bool(s["closed_thinking"]) for s in samples) / len(samples))
        if thinking
        else None,
        "usage": usage.to_dict(),
        "flops": estimate_flops(num_params, usage).to_dict(),
        "matmul_params": num_params,
        "wall_seconds_this_session": elapsed_s,
        "warnings": sampling_warnings([s["pred"] for s in samples], unclosed, len(samples), max_tokens),
    }


def plot_lengths(records: list[dict[str, Any]], path) -> None:
    """Histogram of generated tokens per sample, right and wrong answers stacked."""
    from reasonlab.core.plots import new_figure, save_figure

    right = [s["tokens"] for r in records for s in r["samples"] if s["correct"]]
    wrong = [s["tokens"] for r in records for s in r["samples"] if not s["correct"]]
    fig, ax = new_figure()
    ax.hist([right, wrong], bins=30, stacked=True, label=["correct", "wrong"], color=["tab:green", "tab:red"])
    ax.set_xlabel("generated tokens per sample")
    ax.set_ylabel("samples")
    ax.set_title(f"{len(right)} correct / {len(right) + len(wrong)} samples")
    ax.legend()
    save_figure(fig, path)


def report_markdown(cfg: GenerateConfig, summary: dict[str, Any]) -> str:
    passk = ", ".join(f"pass@{k} {v:.3f}" for k, v in summary["pass@k"].items())
    source = cfg.dataset or f"{cfg.task} {cfg.task_options or ''}".strip()
    return (
        f"# generate: {cfg.model} on {source}\n\n"
        f"- {summary['problems']} problems x {cfg.n} samples, temperature {cfg.temperature}, "
        f"top_p {cfg.top_p}, "
        f"max_tokens {cfg.max_tokens}, thinking budget {cfg.thinking_budget}\n"
        f"- {passk}; majority vote {summary['majority_accuracy']:.3f}\n"
        f"- {summary['tokens_per_sample']:.1f} generated tokens per sample; prefill computed "
        f"{summary['usage']['prefill_computed']}, reused {summary['usage']['prefill_reused']}\n"
        f"- estimated FLOPs: {summary['flops']['total']:.3g} (prefill {summary['flops']['prefill']:.3g})\n\n"
        + "".join(line + "\n\n" for line in warning_lines(summary["warnings"]))
        + "Generated tokens per sample, right and wrong answers stacked:\n\n![lengths](lengths.png)\n"
    )
