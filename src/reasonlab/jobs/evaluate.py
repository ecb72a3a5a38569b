"""`reasonlab evaluate`: accuracy, pass@k, majority vote, tokens, and accuracy versus thinking depth.

On top of `generate`, each sample's thinking is cut at the given fractions of its tokens, the close
marker is appended by id and the model answers; the full-depth point is the sample's own answer
(or a forced one when it never closed its thinking). This measures how much of the accuracy is
already there part-way through the thinking: the gap fractured sampling and budgets work with.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from reasonlab.core.cost import Usage, total_usage
from reasonlab.core.errors import ReasonlabError
from reasonlab.core.runs import Run
from reasonlab.core.seeds import derive_seed
from reasonlab.engines.base import Engine, SamplingParams
from reasonlab.jobs.common import warning_lines
from reasonlab.jobs.generate import GenerateConfig, run_generate
from reasonlab.models.defaults import TESTBED_DEFAULTS
from reasonlab.models.think import ThinkFormat
from reasonlab.sampling.truncation import build_branches, delimiter_ids, forced_answers
from reasonlab.tasks.base import Problem, Task


@dataclass
class EvaluateConfig(GenerateConfig):
    num_problems: int = field(default=100, metadata={"help": "Problems to sample."})
    cuts: list[float] = field(
        default_factory=lambda: [0.25, 0.5, 0.75],
        metadata={
            "help": "Also force answers at these thinking fractions, e.g. 0.25,0.5,0.75.",
            "expects": "fractions like 0.25,0.5",
        },
    )
    answer_max_tokens: int = field(
        default=TESTBED_DEFAULTS["answer_max_tokens"],
        metadata={"help": "Cap on each forced answer (with --cuts)."},
    )

    def validate(self) -> None:
        super().validate()
        if any(not 0 <= c < 1 for c in self.cuts):
            raise ReasonlabError(f"cuts must be fractions in [0, 1), got {self.cuts}")
        if self.answer_max_tokens < 1:
            raise ReasonlabError(f"answer_max_tokens must be at least 1, got {self.answer_max_tokens}")


def cut_augmenter(cfg: EvaluateConfig, engine: Engine, task: Task, think: ThinkFormat):
    """An `augment` hook for run_generate that adds sample["cuts"][fraction] = {pred, correct, ...}."""
    delim = delimiter_ids(engine.tokenizer, think)
    answer_params = SamplingParams(
        n=1,
        temperature=cfg.temperature,
        top_p=cfg.top_p,
        top_k=cfg.top_k,
        max_tokens=cfg.answer_max_tokens,
        seed=cfg.seed,
    )

    def augment(problems: list[Problem], prompts: list[list[int]], graded: list[list[dict]]) -> None:
        branches, owners = [], []
        for problem, prompt, samples in zip(problems, prompts, graded):
            for j, sample in enumerate(samples):
                fractions = list(cfg.cuts) + ([] if sample["closed_thinking"] else [1.0])
                for branch in build_branches([prompt], [sample["token_ids"]], fractions, think, delim):
                    branches.append(branch)
                    owners.append((problem, j, sample))
        # One seed per branch: identical cut prompts (traces that agree up to the cut) must not
        # share one random stream.
        params = [
            replace(answer_params, seed=derive_seed(cfg.seed, problem.id, j, b.fraction))
            for b, (problem, j, _) in zip(branches, owners)
        ]
        answers = forced_answers(engine, branches, params)
        for branch, (problem, _, sample), outs in zip(branches, owners, answers):
            pred = task.extract_answer(outs[0].text, None)
            sample.setdefault("cuts", {})[str(branch.fraction)] = {
                "thinking_tokens": branch.cut,
                "answer_tokens": len(outs[0].token_ids),
                "pred": pred,
                "correct": bool(task.check(problem, pred)),
                "usage": outs[0].usage.to_dict(),
            }
        for samples in graded:
            for sample in samples:
                if sample["closed_thinking"]:
                    sample.setdefault("cuts", {})["1.0"] = {
                        "thinking_tokens": sample["thinking_tokens"],
                        "answer_tokens": sample["tokens"] - sample["thinking_tokens"],
                        "pred": sample["pred"],
                        "correct": sample["correct"],
                    }

    return augment


def run_evaluate(
    cfg: EvaluateConfig, engine: Engine, task: Task, think: ThinkFormat, run: Run, progress: bool = True
) -> dict[str, Any]:
    think.require("evaluation at thinking cuts")
    summary = run_generate(
        cfg, engine, task, think, run, progress, augment=cut_augmenter(cfg, engine, task, think)
    )
    samples = [s for r in run.records() for s in r["samples"]]
    depth = {}
    for f in [*cfg.cuts, 1.0]:
        at = [s["cuts"][str(f)] for s in samples]
        depth[str(f)] = {
            "accuracy": sum(a["correct"] for a in at) / len(at),
            "thinking_tokens": sum(a["thinking_tokens"] for a in at) / len(at),
            "answer_tokens": sum(a["answer_tokens"] for a in at) / len(at),
        }
    summary["accuracy_by_thinking_depth"] = depth
    summary["answer_dynamics"] = answer_dynamics(task, list(run.records()), cfg.cuts)
    forced = [a["usage"] for s in samples for a in s["cuts"].values() if "usage" in a]
    summary["forced_answer_usage"] = total_usage([Usage(**u) for u in forced]).to_dict()
    return summary


def answer_dynamics(task: Task, records: list[dict[str, Any]], cuts) -> dict[str, Any]:
    """How forced answers along the thinking relate to the final one (issue 15's realism figures):
    per cut, the share of trajectories whose forced answer differs from their own final answer
    (no answer counts as different); and the share of trajectories, and of problems, where some cut
    is right while the final answer is wrong (what early stopping and fractured sampling can gain)."""

    def same(a: str | None, b: str | None) -> bool:
        return a is not None and b is not None and task.equivalent(a, b)

    samples = [s for r in records for s in r["samples"]]
    differs = {
        str(f): sum(not same(s["cuts"][str(f)]["pred"], s["cuts"]["1.0"]["pred"]) for s in samples)
        / len(samples)
        for f in cuts
    }

    def rescued(s: dict[str, Any]) -> bool:
        return not s["cuts"]["1.0"]["correct"] and any(s["cuts"][str(f)]["correct"] for f in cuts)

    return {
        "forced_differs_from_final": differs,
        "some_cut_right_final_wrong": sum(map(rescued, samples)) / len(samples),
        "problems_with_some_cut_right_final_wrong": sum(any(map(rescued, r["samples"])) for r in records)
        / len(records),
        "final_wrong": sum(not s["cuts"]["1.0"]["correct"] for s in samples) / len(samples),
    }


def plot_depth(summary: dict[str, Any], path, title: str) -> None:
    from reasonlab.core.plots import new_figure, save_figure

    depth = summary["accuracy_by_thinking_depth"]
    fracs = [float(f) for f in depth]
    fig, ax = new_figure()
    ax.plot([100 * f for f in fracs], [100 * depth[k]["accuracy"] for k in depth], marker="o")
    for f, k in zip(fracs, depth):
        ax.annotate(
            f"{depth[k]['thinking_tokens']:.0f} tok",
            (100 * f, 100 * depth[k]["accuracy"]),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=8,
        )
    ax.set_xlabel("thinking kept (% of its tokens), answer forced after the close marker")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title(title)
    save_figure(fig, path)


def report_markdown(cfg: EvaluateConfig, summary: dict[str, Any]) -> str:
    lines = [
        f"# evaluate: {cfg.model} on {cfg.dataset or cfg.task}",
        "",
        f"{summary['problems']} problems x {cfg.n} samples, "
        f"temperature {cfg.temperature}, top_p {cfg.top_p}.",
        "",
        "| metric | value |",
        "|---|---|",
        f"| pass@1 | {summary['pass@1']:.3f} |",
    ]
    lines += [f"| pass@{k} | {v:.3f} |" for k, v in summary["pass@k"].items() if k != "1"]
    lines += [
        f"| majority vote | {summary['majority_accuracy']:.3f} |",
        f"| tokens / problem | {summary['tokens_per_problem']:.1f} |",
        "",
        "| thinking kept | thinking tokens | accuracy |",
        "|---|---|---|",
    ]
    for f, d in summary["accuracy_by_thinking_depth"].items():
        lines.append(f"| {float(f):.0%} | {d['thinking_tokens']:.1f} | {d['accuracy']:.3f} |")
    dynamics = summary.get("answer_dynamics")
    if dynamics:
        differs = dynamics["forced_differs_from_final"]
        changed = ", ".join(f"{float(f):.0%}: {v:.1%}" for f, v in differs.items())
        lines += [
            "",
            f"Forced answer differs from the sample's own final answer, by cut: {changed}. Some cut is "
            f"right while the final answer is wrong in {dynamics['some_cut_right_final_wrong']:.1%} of the "
            f"samples ({dynamics['problems_with_some_cut_right_final_wrong']:.1%} of the problems; "
            f"{dynamics['final_wrong']:.1%} of final answers are wrong).",
        ]
    lines += ["", *warning_lines(summary["warnings"])] if summary["warnings"] else []
    lines += ["", "Accuracy against thinking depth:", "", "![depth](depth.png)", ""]
    lines += ["Generated tokens per sample, right and wrong answers stacked:", "", "![lengths](lengths.png)"]
    return "\n".join(lines) + "\n"
