"""`reasonlab budget`: accuracy and tokens under a list of thinking budgets (elastic reasoning).

Tokens are the response as Elastic Reasoning's code counts it: thinking, the close marker (the
wrap-up message too, when one is inserted) and the solution, with the three parts also reported
apart. t = -1 stands for `max_thinking` tokens; every summary and report says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from reasonlab.core.cost import Usage, total_usage
from reasonlab.core.errors import ReasonlabError
from reasonlab.core.progress import progress_bar
from reasonlab.core.runs import Run
from reasonlab.core.seeds import derive_seed
from reasonlab.engines.base import Engine, SamplingParams
from reasonlab.jobs.common import RunInputs, sampling_warnings, warning_lines
from reasonlab.models.defaults import TESTBED_DEFAULTS
from reasonlab.models.loading import chat_prompt_ids
from reasonlab.models.think import ThinkFormat
from reasonlab.sampling.budget import ElasticBudget, budgeted_generate
from reasonlab.tasks.base import Task

CUT_WARNING = 0.2  # share of solutions cut by s above which the summary warns


@dataclass
class BudgetJobConfig(RunInputs):
    num_problems: int = field(default=32, metadata={"help": "Problems to sample."})
    n: int = field(default=4, metadata={"help": "Samples per problem."})
    thinking: list[int] = field(
        default_factory=lambda: [16, 32, 64, -1],
        metadata={
            "help": "Thinking budgets t; -1 = unlimited, up to --max-thinking tokens (then closed by force).",
            "expects": "integers like 16,32,-1",
        },
    )
    # model-dependent (models/defaults.py)
    solution: int = field(
        default=TESTBED_DEFAULTS["solution"],
        metadata={"help": "Solution budget s: tokens after the close marker; must fit an answer."},
    )
    wrap_up: str | None = field(
        default=None, metadata={"help": "Message inserted before a forced close (Qwen3 style)."}
    )
    min_thinking: int = field(default=0, metadata={"help": 'Replace an earlier close with "Wait" (s1).'})
    max_extensions: int = field(default=1, metadata={"help": 'Times an early close may become "Wait" (s1).'})
    wait: str = field(default="Wait", metadata={"help": "The word that replaces an early close."})
    max_thinking: int = field(
        default=TESTBED_DEFAULTS["max_thinking"],
        metadata={"help": "Thinking tokens that t = -1 stands for (a forced close there)."},
    )
    temperature: float = field(default=0.6, metadata={"help": "Sampling temperature."})
    top_p: float = field(default=0.95, metadata={"help": "Nucleus sampling: probability mass kept."})
    seed: int = field(default=0, metadata={"help": "Sampling seed (each sample derives its own)."})
    chunk: int = field(default=8, metadata={"help": "Problems per engine call and per checkpoint."})

    def validate(self) -> None:
        """Every budget and count; raises ReasonlabError naming the first bad one."""
        if not self.thinking:
            raise ReasonlabError("--thinking needs at least one budget")
        if self.num_problems < 1 or self.n < 1:
            raise ReasonlabError(
                f"num_problems and n must be at least 1, got {self.num_problems} and {self.n}"
            )
        if self.chunk < 1:
            raise ReasonlabError(f"chunk must be at least 1, got {self.chunk}")
        self.budgets()

    def sampling_params(self) -> SamplingParams:
        """The sampling settings of every budgeted sample (built, so checked, before any model loads)."""
        return SamplingParams(n=self.n, temperature=self.temperature, top_p=self.top_p, seed=self.seed)

    def budgets(self) -> list[ElasticBudget]:
        return [
            ElasticBudget(
                thinking=t,
                solution=self.solution,
                wrap_up=self.wrap_up,
                min_thinking=self.min_thinking,
                wait=self.wait,
                max_extensions=self.max_extensions,
                max_thinking=self.max_thinking,
            )
            for t in self.thinking
        ]


def t_label(t: int, cap: int) -> str:
    """How a thinking budget is shown: "-1" always names its cap."""
    return f"t=-1 (cap {cap})" if t == -1 else f"t={t}"


def run_budget(
    cfg: BudgetJobConfig, engine: Engine, task: Task, think: ThinkFormat, run: Run, progress: bool = True
) -> dict[str, Any]:
    budgets = cfg.budgets()
    problems = task.problems(cfg.num_problems)
    params = cfg.sampling_params()
    think.require("thinking budgets")
    jobs = [(b, p) for b in budgets for p in problems if run.done(f"{b.thinking}:{p.id}") is None]
    with progress_bar(len(budgets) * len(problems), "budgets x problems", enabled=progress) as advance:
        advance(len(budgets) * len(problems) - len(jobs))
        for budget in budgets:
            todo = [p for b, p in jobs if b == budget]
            for start in range(0, len(todo), cfg.chunk):
                chunk = todo[start : start + cfg.chunk]
                prompts = [
                    chat_prompt_ids(engine.tokenizer, p.question, cfg.system_prompt, think=think)
                    for p in chunk
                ]
                # Seeded per problem (the same across budgets: paired comparisons, exact resumes).
                seeded = [replace(params, seed=derive_seed(cfg.seed, p.id)) for p in chunk]
                for problem, samples in zip(chunk, budgeted_generate(engine, prompts, seeded, think, budget)):
                    run.add(
                        {
                            "id": f"{budget.thinking}:{problem.id}",
                            "thinking_budget": budget.thinking,
                            "problem": problem.id,
                            "samples": [grade(task, problem, s) for s in samples],
                        }
                    )
                    advance(1)
    rows = [
        summarize_budget(
            budget, [s for p in problems for s in run.done(f"{budget.thinking}:{p.id}")["samples"]]
        )
        for budget in budgets
    ]
    summary = {
        "problems": len(problems),
        "samples_per_problem": cfg.n,
        "solution_budget": cfg.solution,
        "max_thinking": cfg.max_thinking,
        "budgets": rows,
    }
    preds = [s["pred"] for r in run.records() for s in r["samples"]]
    summary["warnings"] = sampling_warnings(preds, 0, len(preds), None)
    if warning := cut_warning(summary):
        summary["warnings"].append(warning)
    return summary


def grade(task: Task, problem, s) -> dict[str, Any]:
    """One budgeted sample as stored in samples.jsonl."""
    pred = task.extract_answer(s.solution_text, None)
    return {
        "thinking_tokens": len(s.thinking_ids),
        "marker_tokens": len(s.marker_ids),
        "solution_tokens": len(s.solution_ids),
        "tokens": s.tokens,
        "forced_close": s.forced_close,
        "extensions": s.extensions,
        "solution_cut": s.finish_reason == "length",
        "pred": pred,
        "correct": bool(task.check(problem, pred)),
        "usage": s.usage.to_dict(),
        "solution": s.solution_text,
    }


def summarize_budget(budget: ElasticBudget, samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Means over a budget's samples; `tokens` = thinking + marker (and wrap-up) + solution."""

    def mean(key: str) -> float:
        return float(np.mean([s[key] for s in samples]))

    return {
        "thinking_budget": budget.thinking,
        "thinking_cap": budget.thinking_cap,
        "solution_budget": budget.solution,
        "accuracy": mean("correct"),
        "tokens": mean("tokens"),
        "thinking_tokens": mean("thinking_tokens"),
        "marker_tokens": mean("marker_tokens"),
        "solution_tokens": mean("solution_tokens"),
        "forced_rate": mean("forced_close"),
        "extension_rate": mean("extensions"),
        "solution_cut_rate": mean("solution_cut"),
        "usage": total_usage([Usage(**s["usage"]) for s in samples]).to_dict(),
    }


def cut_warning(summary: dict[str, Any]) -> str | None:
    """A line when s cut more than CUT_WARNING of some budget's solutions (their answers are lost)."""
    worst = max(r["solution_cut_rate"] for r in summary["budgets"])
    if worst <= CUT_WARNING:
        return None
    return (
        f"s = {summary['solution_budget']} cut {worst:.0%} of the solutions before they ended "
        "(their answers are lost); raise --solution"
    )


def plot_budgets(summary: dict[str, Any], path, title: str) -> None:
    from reasonlab.core.plots import new_figure, save_figure

    rows = summary["budgets"]
    fig, ax = new_figure()
    ax.plot([r["tokens"] for r in rows], [100 * r["accuracy"] for r in rows], marker="o")
    for r in rows:
        ax.annotate(
            t_label(r["thinking_budget"], r["thinking_cap"]),
            (r["tokens"], 100 * r["accuracy"]),
            textcoords="offset points",
            xytext=(4, 4),
            fontsize=8,
        )
    ax.set_xlabel("tokens per sample (thinking + marker + solution)")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title(title)
    save_figure(fig, path)


def report_markdown(cfg: BudgetJobConfig, summary: dict[str, Any]) -> str:
    extras = []
    if cfg.wrap_up:
        extras.append(f"wrap-up {cfg.wrap_up!r} before a forced close")
    if cfg.min_thinking:
        extras.append(
            f'"{cfg.wait}" replaces a close before {cfg.min_thinking} tokens, up to {cfg.max_extensions}x'
        )
    lines = [
        f"# thinking budgets: {cfg.model} on {cfg.dataset or cfg.task}",
        "",
        f"{summary['problems']} problems x {cfg.n} samples; solution budget s = {cfg.solution}"
        + "".join(f"; {e}" for e in extras)
        + ".",
        f"t = -1 (unlimited) means at most {cfg.max_thinking} thinking tokens (--max-thinking); a sample "
        "that reaches them is closed by force like any other.",
        "Tokens count the whole response: thinking, the close marker (and any wrap-up) and the solution.",
        "",
        "| thinking budget t | accuracy | tokens | thinking | marker | solution | forced close | "
        "solutions cut by s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in summary["budgets"]:
        t = (
            f"unlimited (capped at {r['thinking_cap']})"
            if r["thinking_budget"] == -1
            else r["thinking_budget"]
        )
        lines.append(
            f"| {t} | {r['accuracy']:.3f} | {r['tokens']:.1f} | {r['thinking_tokens']:.1f} | "
            f"{r['marker_tokens']:.1f} | {r['solution_tokens']:.1f} | {r['forced_rate']:.0%} | "
            f"{r['solution_cut_rate']:.0%} |"
        )
    lines += ["", *warning_lines(summary["warnings"])] if summary["warnings"] else []
    return "\n".join(lines) + "\n\nAccuracy against tokens per budget:\n\n![budgets](budgets.png)\n"
