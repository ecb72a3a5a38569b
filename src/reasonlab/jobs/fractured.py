"""`reasonlab fractured`: fractured sampling over a task, its pass@k-vs-tokens curves and fits.

Summaries follow the paper's definitions (see sampling/fractured_metrics.py): pass@k along n, H, m
and jointly, with the token budget each point costs under B(n, m, H) = n (C_think + m H C_sol)
fitted as pass@k = C log B + c; voting variants; early stopping; and the measured token usage
(generated, prefill computed, prefill reused) next to the cost model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reasonlab.core.cost import estimate_flops, total_usage
from reasonlab.core.errors import ReasonlabError
from reasonlab.core.runs import Run
from reasonlab.engines.base import Engine
from reasonlab.jobs.common import RunInputs, sampling_warnings, warning_lines
from reasonlab.models.think import ThinkFormat
from reasonlab.sampling.fractured import FracturedConfig, ProblemResult, fractured_sample
from reasonlab.sampling.fractured_metrics import (
    depth_weights,
    early_stop,
    format_fit,
    loglinear_fit,
    passk_h,
    passk_joint,
    passk_m,
    passk_n,
    probe_indices,
    token_budget,
    weighted_vote,
)
from reasonlab.tasks.base import Task


@dataclass
class FracturedJobConfig(FracturedConfig, RunInputs):
    """FracturedConfig's fields again, with their CLI help (cli/options.py); defaults are its own."""

    num_problems: int = field(default=24, metadata={"help": "Problems to sample."})
    n: int = field(default=FracturedConfig.n, metadata={"help": "Trajectories per problem."})
    H: int = field(
        default=FracturedConfig.H,
        metadata={"help": "Cut depths per trajectory (the last is the full thinking)."},
    )
    m: int = field(default=FracturedConfig.m, metadata={"help": "Forced answers per cut."})
    temperature: float = field(
        default=FracturedConfig.temperature, metadata={"help": "Sampling temperature."}
    )
    top_p: float = field(
        default=FracturedConfig.top_p, metadata={"help": "Nucleus sampling: probability mass kept."}
    )
    top_k: int = field(
        default=FracturedConfig.top_k, metadata={"help": "Keep the k likeliest tokens; -1 = disabled."}
    )
    max_tokens: int = field(default=FracturedConfig.max_tokens, metadata={"help": "Cap per trajectory."})
    answer_max_tokens: int = field(
        default=FracturedConfig.answer_max_tokens, metadata={"help": "Cap per forced answer."}
    )
    cut_by: str = field(
        default=FracturedConfig.cut_by,
        metadata={"help": "tokens (as the paper) or steps (at step delimiters)."},
    )
    block_size: int = field(
        default=FracturedConfig.block_size,
        metadata={"help": "Round cuts down to this multiple (16 for vLLM)."},
    )
    seed: int = field(
        default=FracturedConfig.seed, metadata={"help": "Sampling seed (each problem derives its own)."}
    )
    system_prompt: str | None = field(
        default=None, metadata=RunInputs.__dataclass_fields__["system_prompt"].metadata
    )
    chunk: int = field(
        default=FracturedConfig.chunk, metadata={"help": "Problems per engine call and per checkpoint."}
    )
    early_first: int = field(
        default=FracturedConfig.early_first, metadata={"help": "Early stopping: first probed cut index."}
    )
    early_interval: int = field(
        default=FracturedConfig.early_interval,
        metadata={"help": "Early stopping: probe every this many cuts."},
    )

    def validate(self) -> None:
        super().validate()
        if self.num_problems < 1:
            raise ReasonlabError(f"num_problems must be at least 1, got {self.num_problems}")


def run_fractured(
    cfg: FracturedJobConfig, engine: Engine, task: Task, think: ThinkFormat, run: Run, progress: bool = True
) -> dict[str, Any]:
    problems = task.problems(cfg.num_problems)
    todo = [p for p in problems if run.done(p.id) is None]
    fractured_sample(
        engine, task, todo, think, cfg, progress=progress, on_result=lambda r: run.add(r.to_dict())
    )
    results = [ProblemResult.from_dict(run.done(p.id)) for p in problems]
    return summarize(results, cfg, engine.num_params)


def _curve(budgets: list[float], values: list[float]) -> dict[str, Any]:
    return {"budget": budgets, "pass@k": values, "fit": loglinear_fit(budgets, values)}


def summarize(results: list[ProblemResult], cfg: FracturedConfig, num_params: int) -> dict[str, Any]:
    n, H, m = cfg.n, cfg.H, cfg.m
    c_think = float(np.mean([r.thinking_tokens.mean() for r in results]))
    c_sol = float(
        np.mean(
            [
                r.answer_tokens[r.answer_tokens > 0].mean() if (r.answer_tokens > 0).any() else 0
                for r in results
            ]
        )
    )
    mean = lambda f, k: float(np.mean([f(r.scores, k) for r in results]))  # noqa: E731
    curves = {
        "n": _curve(
            [token_budget(k, 1, 1, c_think, c_sol) for k in range(1, n + 1)],
            [mean(passk_n, k) for k in range(1, n + 1)],
        ),
        "H": _curve(
            [c_think + k * c_sol for k in range(1, H + 1)], [mean(passk_h, k) for k in range(1, H + 1)]
        ),
        "m": _curve(
            [c_think + k * c_sol for k in range(1, m + 1)], [mean(passk_m, k) for k in range(1, m + 1)]
        ),
        "joint": _curve(
            [token_budget(k, m, H, c_think, c_sol) for k in range(1, n + 1)],
            [mean(passk_joint, k) for k in range(1, n + 1)],
        ),
    }
    last = min(4, H)
    voting = {
        "baseline (H=1, m=1)": _vote_acc(
            results, lambda r: [[[r.keys[i][H - 1][0]]] for i in range(n)], [1.0]
        ),
        "uniform": _vote_acc(results, lambda r: r.keys, depth_weights(H)),
        "linear depth weights": _vote_acc(results, lambda r: r.keys, depth_weights(H, "linear")),
        f"last {last} cuts": _vote_acc(results, lambda r: r.keys, depth_weights(H, last=last)),
    }
    usage = total_usage([r.usage for r in results])
    truncated = int(sum(r.truncated.sum() for r in results))
    own_answers = [k[H - 1][0] for r in results for k in r.preds]
    warnings = sampling_warnings(own_answers, truncated, len(results) * n, cfg.max_tokens)
    return {
        "problems": len(results),
        "n": n,
        "H": H,
        "m": m,
        "cut_by": cfg.cut_by,
        "C_think": c_think,
        "C_sol": c_sol,
        "cost_model_tokens_per_problem": token_budget(n, m, H, c_think, c_sol),
        "measured": {
            "generated_per_problem": usage.generated / len(results),
            "prefill_computed_per_problem": usage.prefill_computed / len(results),
            "prefill_reused_per_problem": usage.prefill_reused / len(results),
        },
        "usage": usage.to_dict(),
        "flops": estimate_flops(num_params, usage).to_dict(),
        "collapsed_cuts": int(sum(r.collapsed_cuts for r in results)),
        "never_closed_trajectories": int(sum((~r.closed).sum() for r in results)),
        "truncated_trajectories": truncated,
        "warnings": warnings,
        "curves": curves,
        "slopes": {axis: c["fit"]["slope"] for axis, c in curves.items()},
        "majority_vote": voting,
        "early_stopping": early_stopping(results, cfg),
    }


def _vote_acc(results: list[ProblemResult], pick, weights) -> float:
    """Share of problems whose weighted vote lands on a right answer; shared cuts vote once."""
    right = []
    for r in results:
        keys = pick(r)
        duplicate = r.duplicate if len(keys[0]) == r.duplicate.shape[1] else None
        right.append(_is_right(r, weighted_vote(keys, np.asarray(weights), duplicate)))
    return float(np.mean(right))


def _is_right(r: ProblemResult, key) -> bool:
    """Whether `key` is the vote key of an answer the task graded right."""
    flat_keys = [k for traj in r.keys for cut in traj for k in cut]
    return key is not None and any(k == key and s for k, s in zip(flat_keys, r.scores.reshape(-1).tolist()))


def early_stopping(results: list[ProblemResult], cfg: FracturedConfig) -> dict[str, Any]:
    """Probe the first answer at cuts first, first+interval, ... (and the full trace); stop when it
    repeats. Tokens = thinking up to the stop + the answer of every probe made, the full trace's
    included when probing reached it; against the full trace + its own answer."""
    H = cfg.H
    full_tokens = stop_tokens = full_right = stop_right = 0
    for r in results:
        first = [[r.keys[i][h][0] for h in range(H)] for i in range(cfg.n)]
        stops = early_stop(first, cfg.early_first, cfg.early_interval, r.duplicate)
        for i, s in enumerate(stops):
            probes = [
                h
                for h in probe_indices(H, cfg.early_first, cfg.early_interval)
                if h <= s and not r.duplicate[i, h]
            ]
            stop_tokens += r.cut_tokens[i, s] + sum(int(r.answer_tokens[i, h, 0]) for h in probes)
            full_tokens += r.thinking_tokens[i] + r.answer_tokens[i, H - 1, 0]
            stop_right += bool(r.scores[i, s, 0])
            full_right += bool(r.scores[i, H - 1, 0])
    count = len(results) * cfg.n
    return {
        "first_probe": cfg.early_first,
        "interval": cfg.early_interval,
        "tokens_full": float(full_tokens) / count,
        "tokens_early": float(stop_tokens) / count,
        "tokens_saved": 1 - float(stop_tokens) / float(full_tokens) if full_tokens else 0.0,
        "accuracy_full": full_right / count,
        "accuracy_early": stop_right / count,
    }


def plot_curves(summary: dict[str, Any], path, title: str) -> None:
    from matplotlib.ticker import NullFormatter

    from reasonlab.core.plots import new_figure, save_figure

    fig, ax = new_figure(7, 4.5)
    for axis, curve in summary["curves"].items():
        b, y, fit = curve["budget"], curve["pass@k"], curve["fit"]
        label = f"{axis} (slope {format_fit(fit)[0]} per ln tokens)"
        line = ax.plot(b, y, marker="o", label=label)[0]
        if np.isfinite(fit["slope"]):
            xs = np.geomspace(min(b), max(b), 50)
            fitted = [fit["slope"] * np.log(x) + fit["intercept"] for x in xs]
            ax.plot(xs, fitted, ls="--", lw=0.8, color=line.get_color())
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels on a log axis overlap
    ax.set_xlabel("tokens per problem (cost model B)")
    ax.set_ylabel("pass@k")
    ax.set_title(title)
    ax.legend(fontsize=8)
    save_figure(fig, path)


def report_markdown(cfg: FracturedJobConfig, summary: dict[str, Any]) -> str:
    s = summary
    lines = [
        f"# fractured sampling: {cfg.model} on {cfg.dataset or cfg.task}",
        "",
        f"{s['problems']} problems, n={s['n']} trajectories x H={s['H']} cuts (by {s['cut_by']}) "
        f"x m={s['m']} answers; temperature {cfg.temperature}, top_p {cfg.top_p}.",
        "",
        "| axis | pass@1 | pass@max | slope per ln(tokens) | R^2 |",
        "|---|---|---|---|---|",
    ]
    for axis, c in s["curves"].items():
        lines.append(
            f"| {axis} | {c['pass@k'][0]:.3f} | {c['pass@k'][-1]:.3f} | {' | '.join(format_fit(c['fit']))} |"
        )
    lines += ["", "| vote | accuracy |", "|---|---|"]
    lines += [f"| {k} | {v:.3f} |" for k, v in s["majority_vote"].items()]
    e, meas = s["early_stopping"], s["measured"]
    lines += [
        "",
        f"Early stopping (first probe at cut {e['first_probe']}, every {e['interval']}): "
        f"{e['tokens_early']:.1f} vs {e['tokens_full']:.1f} tokens per trajectory "
        f"({100 * e['tokens_saved']:.1f}% saved), "
        f"accuracy {e['accuracy_early']:.3f} vs {e['accuracy_full']:.3f}.",
        "",
        f"Cost model B(n, m, H) = {s['cost_model_tokens_per_problem']:.0f} tokens per problem "
        f"(C_think {s['C_think']:.1f}, C_sol {s['C_sol']:.1f}); measured {meas['generated_per_problem']:.0f} "
        f"generated, {meas['prefill_computed_per_problem']:.0f} prefill computed, "
        f"{meas['prefill_reused_per_problem']:.0f} prefill reused per problem.",
        f"Collapsed cuts: {s['collapsed_cuts']}; trajectories that never closed their thinking: "
        f"{s['never_closed_trajectories']} ({s['truncated_trajectories']} of them stopped by max_tokens).",
        "",
        *warning_lines(s["warnings"]),
        "![pass@k vs tokens](passk_vs_tokens.png)",
        "",
        "How to read this: each axis spends more tokens in one way, more trajectories (n), more cuts",
        "of one trajectory's thinking with an answer forced after each (H), or more answers at the full",
        "depth (m); joint spends them on all three. pass@k counts a problem solved if one of k tries is",
        "right, and the slope is the pass@k gained per unit of ln(tokens) under the cost model: the",
        "steeper axis is the better use of tokens (the paper finds H steepest). Votes pool all answers;",
        "early stopping stops probing a trajectory once its answer repeats. Definitions: docs/sampling.md",
        "in the reasonlab repository.",
    ]
    return "\n".join(lines) + "\n"


__all__ = ["FracturedJobConfig", "run_fractured", "summarize"]
