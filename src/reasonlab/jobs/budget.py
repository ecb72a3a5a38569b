"""`reasonlab budget`: accuracy and tokens under a list of thinking budgets (elastic reasoning)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reasonlab.core.cost import Usage, total_usage
from reasonlab.core.errors import ReasonlabError
from reasonlab.core.progress import progress_bar
from reasonlab.core.runs import Run
from reasonlab.engines.base import Engine, SamplingParams
from reasonlab.jobs.common import RunInputs
from reasonlab.models.defaults import TESTBED_DEFAULTS
from reasonlab.models.loading import chat_prompt_ids
from reasonlab.models.think import ThinkFormat
from reasonlab.sampling.budget import ElasticBudget, budgeted_generate
from reasonlab.tasks.base import Task


@dataclass
class BudgetJobConfig(RunInputs):
    num_problems: int = 32
    n: int = 4
    thinking: list[int] = field(default_factory=lambda: [16, 32, 64, -1])  # t values; -1 = unlimited
    solution: int = TESTBED_DEFAULTS["solution"]  # s; model-dependent (models/defaults.py)
    wrap_up: str | None = None
    min_thinking: int = 0
    max_thinking: int = TESTBED_DEFAULTS["max_thinking"]  # what t = -1 stands for
    temperature: float = 0.6
    top_p: float = 0.95
    seed: int = 0
    chunk: int = 8

    def validate(self) -> None:
        """Every budget and count; raises ReasonlabError naming the first bad one."""
        if not self.thinking:
            raise ReasonlabError("--thinking needs at least one budget")
        if self.num_problems < 1 or self.n < 1:
            raise ReasonlabError(
                f"num_problems and n must be at least 1, got {self.num_problems} and {self.n}"
            )
        self.budgets()

    def budgets(self) -> list[ElasticBudget]:
        return [
            ElasticBudget(
                thinking=t,
                solution=self.solution,
                wrap_up=self.wrap_up,
                min_thinking=self.min_thinking,
                max_thinking=self.max_thinking,
            )
            for t in self.thinking
        ]


def run_budget(
    cfg: BudgetJobConfig, engine: Engine, task: Task, think: ThinkFormat, run: Run, progress: bool = True
) -> dict[str, Any]:
    budgets = cfg.budgets()
    problems = task.problems(cfg.num_problems)
    params = SamplingParams(n=cfg.n, temperature=cfg.temperature, top_p=cfg.top_p, seed=cfg.seed)
    think.require("thinking budgets")
    jobs = [(b, p) for b in budgets for p in problems if run.done(f"{b.thinking}:{p.id}") is None]
    with progress_bar(len(budgets) * len(problems), "budgets x problems", enabled=progress) as advance:
        advance(len(budgets) * len(problems) - len(jobs))
        for budget in budgets:
            todo = [p for b, p in jobs if b == budget]
            for start in range(0, len(todo), cfg.chunk):
                chunk = todo[start : start + cfg.chunk]
                prompts = [chat_prompt_ids(engine.tokenizer, p.question, cfg.system_prompt) for p in chunk]
                for problem, samples in zip(chunk, budgeted_generate(engine, prompts, params, think, budget)):
                    graded = []
                    for s in samples:
                        pred = task.extract_answer(s.solution_text, None)
                        graded.append(
                            {
                                "thinking_tokens": len(s.thinking_ids),
                                "solution_tokens": len(s.solution_ids),
                                "forced_close": s.forced_close,
                                "extensions": s.extensions,
                                "pred": pred,
                                "correct": bool(task.check(problem, pred)),
                                "usage": s.usage.to_dict(),
                                "solution": s.solution_text,
                            }
                        )
                    run.add(
                        {
                            "id": f"{budget.thinking}:{problem.id}",
                            "thinking_budget": budget.thinking,
                            "problem": problem.id,
                            "samples": graded,
                        }
                    )
                    advance(1)
    rows = []
    for budget in budgets:
        samples = [s for p in problems for s in run.done(f"{budget.thinking}:{p.id}")["samples"]]
        rows.append(
            {
                "thinking_budget": budget.thinking,
                "solution_budget": budget.solution,
                "accuracy": float(np.mean([s["correct"] for s in samples])),
                "thinking_tokens": float(np.mean([s["thinking_tokens"] for s in samples])),
                "solution_tokens": float(np.mean([s["solution_tokens"] for s in samples])),
                "tokens": float(np.mean([s["thinking_tokens"] + s["solution_tokens"] for s in samples])),
                "forced_rate": float(np.mean([s["forced_close"] for s in samples])),
                "usage": total_usage([Usage(**s["usage"]) for s in samples]).to_dict(),
            }
        )
    return {"problems": len(problems), "samples_per_problem": cfg.n, "budgets": rows}


def plot_budgets(summary: dict[str, Any], path, title: str) -> None:
    from reasonlab.core.plots import new_figure, save_figure

    rows = summary["budgets"]
    fig, ax = new_figure()
    ax.plot([r["tokens"] for r in rows], [100 * r["accuracy"] for r in rows], marker="o")
    for r in rows:
        label = "t=inf" if r["thinking_budget"] == -1 else f"t={r['thinking_budget']}"
        ax.annotate(
            label, (r["tokens"], 100 * r["accuracy"]), textcoords="offset points", xytext=(4, 4), fontsize=8
        )
    ax.set_xlabel("tokens per sample (thinking + solution)")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title(title)
    save_figure(fig, path)


def report_markdown(cfg: BudgetJobConfig, summary: dict[str, Any]) -> str:
    lines = [
        f"# thinking budgets: {cfg.model} on {cfg.dataset or cfg.task}",
        "",
        f"{summary['problems']} problems x {cfg.n} samples; solution budget s = {cfg.solution}.",
        "",
        "| thinking budget t | accuracy | thinking tokens | solution tokens | forced close |",
        "|---|---|---|---|---|",
    ]
    for r in summary["budgets"]:
        t = "unlimited" if r["thinking_budget"] == -1 else r["thinking_budget"]
        lines.append(
            f"| {t} | {r['accuracy']:.3f} | {r['thinking_tokens']:.1f} | {r['solution_tokens']:.1f} | "
            f"{r['forced_rate']:.0%} |"
        )
    return "\n".join(lines) + "\n\n![budgets](budgets.png)\n"
