"""`reasonlab probe`: how reward models react to perturbed questions and solutions.

For each problem, N candidate solutions (sampled from a policy, or read from a JSONL file) are
scored by each reward model as they are and after each perturbation (rewards/probe.py). Per reward
model and perturbation the summary gives the reward change (mean, mean |change|, share up, share
within 0.05), Kendall's tau between the candidates' rankings before and after, best-of-N accuracy
when the perturbed scores choose, and for PRMs the mean |change| of the step scores at and after
the first changed step. A question-shuffled solution is scored against the other problem (its
question and answer), and an edited question against its own answer where the task can recompute
it (arith), so the task verifier, the control, moves exactly when the answer's correctness does.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reasonlab.core.errors import ReasonlabError
from reasonlab.core.jsonl import jsonl_rows
from reasonlab.core.runs import Run

VERIFIER = "verifier"


@dataclass
class ProbeConfig:
    rewards: str = field(
        default="testbed:prm,testbed:orm,verifier",
        metadata={
            "help": "Reward models, comma-separated: PRM folders or handles, and 'verifier' (the task's)."
        },
    )
    policy: str = field(default="testbed:target", metadata={"help": "Writes the candidate solutions."})
    solutions: str | None = field(
        default=None,
        metadata={
            "help": 'JSONL of {"question", "answer", "solution"} lines instead of sampling the policy.'
        },
    )
    task: str = field(default="arith", metadata={"help": "Registered task (see `reasonlab tasks list`)."})
    task_options: dict[str, Any] = field(
        default_factory=dict, metadata={"help": "Task options.", "cli": False}
    )
    dataset: str | None = field(
        default=None, metadata={"help": "Unused: problems come from --task.", "cli": False}
    )
    num_problems: int = field(default=50, metadata={"help": "Problems."})
    n: int = field(default=4, metadata={"help": "Candidate solutions per problem."})
    temperature: float = field(default=1.0, metadata={"help": "Sampling temperature of the candidates."})
    max_tokens: int = field(default=512, metadata={"help": "Token cap per candidate."})
    perturbations: str = field(default="all", metadata={"help": "Comma-separated names, or all."})
    seeds: int = field(default=1, metadata={"help": "Perturbation seeds (each perturbs every candidate)."})
    seed: int = field(default=0, metadata={"help": "Seed of sampling and perturbations."})

    def names(self) -> list[str]:
        from reasonlab.rewards.probe import PERTURBATIONS, perturbation

        if self.perturbations == "all":
            return list(PERTURBATIONS)
        names = [p.strip() for p in self.perturbations.split(",") if p.strip()]
        for name in names:
            perturbation(name)  # an unknown name is a one-line error
        return names

    def reward_names(self) -> list[str]:
        return [r.strip() for r in self.rewards.split(",") if r.strip()]

    def validate(self) -> ProbeConfig:
        self.names()
        if not self.reward_names():
            raise ReasonlabError("--rewards is empty: name at least one reward model")
        for name in ("num_problems", "n", "max_tokens", "seeds"):
            if getattr(self, name) < 1:
                raise ReasonlabError(f"--{name.replace('_', '-')} {getattr(self, name)}: must be >= 1")
        return self


def load_reward(name: str, task):
    """'verifier' (the task's own, 0/1) or a PRM/ORM folder or handle."""
    from reasonlab.rewards import VerifierReward

    if name == VERIFIER:
        return VerifierReward(task)
    from reasonlab.rewards.prm import PRMReward, load_prm

    return PRMReward(load_prm(name))


def solution_steps(text: str, close: str = "</think>") -> list[str]:
    """The thinking's steps, then the close marker and the answer as the last step, so that the
    perturbations that keep "the final step" keep the answer a verifier reads."""
    from reasonlab.rewards.base import split_steps

    if close in text:
        head, tail = text.split(close, 1)
        return split_steps(head) + [close + tail]
    return split_steps(text) or [text]


def read_solutions(path: str) -> list[tuple[Any, list[str]]]:
    """(problem, steps) per line of a JSONL file of {"question", "answer", "solution"} objects."""
    from reasonlab.tasks.base import Problem

    out, ids = [], {}
    for where, _, row in jsonl_rows(path, "solutions not found"):
        try:
            question = str(row["question"])
            ids.setdefault(question, f"q{len(ids)}")  # lines with one question: one problem's candidates
            problem = Problem(id=ids[question], question=question, answer=str(row["answer"]))
            out.append((problem, solution_steps(str(row["solution"]))))
        except (KeyError, TypeError) as e:
            raise ReasonlabError(f"{where}: not a solution ({e})") from None
    if not out:
        raise ReasonlabError(f"{path} holds no solutions")
    return out


def sample_solutions(cfg: ProbeConfig, problems) -> list[tuple[Any, list[str]]]:
    from reasonlab.core.seeds import derive_seed
    from reasonlab.engines.base import SamplingParams
    from reasonlab.engines.hf import HFEngine
    from reasonlab.models.loading import chat_prompt_ids
    from reasonlab.models.think import detect_think_format

    engine = HFEngine.from_pretrained(cfg.policy)
    think = detect_think_format(engine.tokenizer, model_name=cfg.policy)
    prompts = [chat_prompt_ids(engine.tokenizer, p.question, None, think) for p in problems]
    params = [
        SamplingParams(
            n=cfg.n,
            temperature=cfg.temperature,
            max_tokens=cfg.max_tokens,
            seed=derive_seed(cfg.seed, "probe", p.id),
        )
        for p in problems
    ]
    out = []
    for problem, request in zip(problems, engine.generate(prompts, params)):
        out += [(problem, solution_steps(o.text, think.close_text or "</think>")) for o in request.outputs]
    return out


def score(reward, problem, steps: list[str]) -> tuple[float, list[float] | None]:
    """(the solution's score, the step scores for a PRM)."""
    from reasonlab.rewards.base import STEP_DELIMITER
    from reasonlab.rewards.prm import PRMReward, aggregate_steps

    if isinstance(reward, PRMReward):
        step_scores = reward.score_steps(problem, steps)
        value = aggregate_steps(step_scores, reward.prm.layout.aggregation)
    else:
        value, step_scores = float(reward.score(problem, STEP_DELIMITER.join(steps))), None
    if math.isnan(value):
        raise ReasonlabError(
            f"reward {getattr(reward, 'name', reward)!s} returned NaN for problem {problem.id}: the probe "
            "needs a score for every solution it compares"
        )
    return value, step_scores


def probe_group(reward, task, group: list[tuple[Any, list[str]]], names: list[str], pool, seed: int) -> dict:
    """One problem's candidates, scored as they are and under each perturbation."""
    from reasonlab.rewards.base import STEP_DELIMITER
    from reasonlab.rewards.probe import perturbation

    by_question = {p.question: p for p in pool}
    questions = list(by_question)
    from reasonlab.rewards import VerifierReward

    problem = group[0][0]
    before = [score(reward, problem, steps) for _, steps in group]
    verifier = VerifierReward(task)
    correct = [verifier.score(problem, STEP_DELIMITER.join(steps)) > 0 for _, steps in group]
    out = {"before": [b[0] for b in before], "correct": correct, "perturbations": {}}
    for name in names:
        rng = random.Random(f"{seed}:{name}:{problem.id}")
        rows = []
        for (_, steps), (_, base_steps) in zip(group, before):
            p = perturbation(name)(problem.question, steps, rng, questions)
            if not p.applied:
                rows.append(None)
                continue
            other = by_question.get(p.question) or task.with_question(problem, p.question)
            after, after_steps = score(reward, other, p.steps)
            step_change = None
            if base_steps is not None and after_steps is not None and p.first_changed_step is not None:
                if len(after_steps) == len(base_steps):
                    k = p.first_changed_step
                    step_change = {
                        "at": abs(after_steps[k] - base_steps[k]),
                        "after": [abs(a - b) for a, b in zip(after_steps[k + 1 :], base_steps[k + 1 :])],
                    }
            rows.append({"after": after, "step_change": step_change})
        out["perturbations"][name] = rows
    return out


def summarize(records: list[dict], names: list[str]) -> dict:
    """Per reward model and perturbation, over every candidate the perturbation applied to."""
    from reasonlab.rewards.probe import change_summary, kendall_tau

    summary: dict[str, dict] = {}
    for reward_name in sorted({r["reward"] for r in records}):
        groups = [r["result"] for r in records if r["reward"] == reward_name]
        per = {}
        for name in names:
            before, after, taus, picks, picks_before, at, later, skipped = [], [], [], [], [], [], [], 0
            for g in groups:
                rows = g["perturbations"][name]
                skipped += sum(r is None for r in rows)
                kept = [
                    (b, r["after"], c, r) for b, r, c in zip(g["before"], rows, g["correct"]) if r is not None
                ]
                before += [k[0] for k in kept]
                after += [k[1] for k in kept]
                if len(kept) > 1:
                    taus.append(kendall_tau([k[0] for k in kept], [k[1] for k in kept]))
                    picks.append(max(kept, key=lambda k: k[1])[2])
                    picks_before.append(max(kept, key=lambda k: k[0])[2])
                for k in kept:
                    if k[3]["step_change"] is not None:
                        at.append(k[3]["step_change"]["at"])
                        later += k[3]["step_change"]["after"]
            finite = [t for t in taus if t == t]
            per[name] = {
                "cases": len(before),
                "skipped": skipped,
                **change_summary(before, after),
                "kendall_tau": sum(finite) / len(finite) if finite else float("nan"),
                "kendall_taus": finite,  # one per problem group: the ranking-stability distribution
                "best_of_n_accuracy": sum(picks) / len(picks) if picks else float("nan"),
                "best_of_n_accuracy_unperturbed": sum(picks_before) / len(picks_before)
                if picks_before
                else float("nan"),
                "step_change_at": sum(at) / len(at) if at else float("nan"),
                "step_change_after": sum(later) / len(later) if later else float("nan"),
            }
        summary[reward_name] = per
    return summary


def _grouped_chart(summary: dict, path: Path, draw, ylabel: str, title: str, ylim=None) -> None:
    """One group of marks per perturbation, one mark per reward model within it: `draw(ax, k,
    reward_name, per, xs, width)` draws reward model k's marks at positions xs."""
    from reasonlab.core.plots import new_figure, save_figure

    names = list(next(iter(summary.values())))
    fig, ax = new_figure(8.0, 4.0)
    width = 0.8 / len(summary)
    for k, (reward_name, per) in enumerate(summary.items()):
        draw(ax, k, reward_name, [per[n] for n in names], [i + k * width for i in range(len(names))], width)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(names))])
    ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    save_figure(fig, path)


def plot(summary: dict, path: Path) -> None:
    """Bars of the mean |reward change| per perturbation and reward model."""

    def bars(ax, k, reward_name, rows, xs, width):
        ax.bar(xs, [m["mean_abs_change"] for m in rows], width, label=reward_name)

    _grouped_chart(
        summary, path, bars, "mean |reward change|", "How much each perturbation moves each reward model"
    )


def plot_ranking_stability(summary: dict, path: Path) -> None:
    """Box plots of Kendall's tau between the candidates' rankings before and after each
    perturbation, one box per reward model and perturbation (1: the ranking did not move)."""

    def boxes(ax, k, reward_name, rows, xs, width):
        drawn = ax.boxplot(
            [m["kendall_taus"] or [float("nan")] for m in rows],
            positions=xs,
            widths=width * 0.9,
            patch_artist=True,
        )
        for box in drawn["boxes"]:
            box.set_facecolor(f"C{k}")
        ax.plot([], [], color=f"C{k}", linewidth=6, label=reward_name)

    _grouped_chart(
        summary,
        path,
        boxes,
        "Kendall tau, before vs after",
        "How stable each reward model's ranking of the candidates stays",
        ylim=(-1.05, 1.05),
    )


def report_markdown(summary: dict) -> str:
    lines = ["# Reward-model probe", "", f"{summary['candidates']} candidate solutions.", ""]
    for reward_name, per in summary["rewards"].items():
        lines += [
            f"## {reward_name}",
            "",
            "| perturbation | cases | mean change | p10 / median / p90 | mean abs change | within 0.05 "
            "| Kendall tau | best-of-N (unperturbed) | step change at / after |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for name, m in per.items():
            lines.append(
                f"| {name} | {m['cases']} | {m['mean_change']:+.3f} | {m['change_p10']:+.3f} / "
                f"{m['change_median']:+.3f} / {m['change_p90']:+.3f} | {m['mean_abs_change']:.3f} | "
                f"{100 * m['share_within_small']:.0f}% | {m['kendall_tau']:.2f} | "
                f"{m['best_of_n_accuracy']:.3f} ({m['best_of_n_accuracy_unperturbed']:.3f}) | "
                f"{m['step_change_at']:.3f} / {m['step_change_after']:.3f} |"
            )
        lines.append("")
    return "\n".join(lines)


def run_probe(cfg: ProbeConfig, task, run: Run, progress: bool = True) -> dict:
    """Candidates once, then every reward model over every problem's group (one record each:
    an interrupted run resumes); the summary, the bar chart and the report."""
    from reasonlab.core.progress import progress_bar

    if cfg.solutions:
        candidates = read_solutions(cfg.solutions)
    else:
        problems = [task.problem(i) for i in range(min(cfg.num_problems, len(task)))]
        candidates = sample_solutions(cfg, problems)
    groups: dict[str, list] = {}
    for problem, steps in candidates:
        groups.setdefault(problem.id, []).append((problem, steps))
    pool = [g[0][0] for g in groups.values()]
    names = cfg.names()
    todo = [(r, s, pid) for r in cfg.reward_names() for s in range(cfg.seeds) for pid in groups]
    with progress_bar(len(todo), "probe", enabled=progress) as advance:
        loaded: dict[str, Any] = {}
        for reward_name, s, pid in todo:
            key = f"{reward_name}|{s}|{pid}"
            if run.done(key) is None:
                reward = loaded.get(reward_name) or loaded.setdefault(
                    reward_name, load_reward(reward_name, task)
                )
                result = probe_group(reward, task, groups[pid], names, pool, cfg.seed + s)
                run.add({"id": key, "reward": reward_name, "seed": s, "result": result})
            advance(1)
    per_reward = summarize(list(run.records()), names)
    plot(per_reward, run.path("mean_abs_change.png"))
    plot_ranking_stability(per_reward, run.path("ranking_stability.png"))
    return {
        "rewards": per_reward,
        "candidates": len(candidates),
        # without step separators a solution is one step: step-level perturbations skip it (counted)
        "one_step_solutions": sum(len(steps) < 2 for _, steps in candidates),
    }
