"""Reproduce meta-ability alignment ("Beyond 'Aha!'", arXiv 2505.10554) in miniature on testbed:logic.

Stages, each a run folder under --work that a rerun resumes or reuses, each timed:
  1. specialists: REINFORCE++ from the base on one ability each (deduction, induction on the
     released data's shapes, abduction), level 1 then level 2 from the level-1 policy (the paper's
     curriculum), the paper's reward, rollouts at temperature 0.7, entropy bonus 0.001, and the
     official scripts' uneven budgets (steps x prompts: deduction 1 x 1, induction 0.8 x 0.5,
     abduction 0.1 x 1 of --steps x --prompts);
  2. merging: linear, the paper's weights deduction 1.0 / induction 0.2 / abduction 0.1 (normalized),
     the same weights as task arithmetic on the base (unnormalized: the official merge config is not
     in its repository, so both readings are run), and a sweep of other weightings;
  3. domain RL: GRPO with the 0/1-style verifier reward on arith, from the base and from the merged model;
  4. evaluation: every model on the three abilities (levels 1 and 2, held-out problems of seed 0; RL
     trains on seed 7) and on arith, greedy by default (the paper's pass@1 at temperature 0); the
     oracle ensemble counts a problem right when any specialist gets it right.
The paper's claims are about held-out tasks: their verdicts are taken on arith, the one task no
specialist trains on. The ability sets are in-distribution diagnostics.
Every verdict in docs/reproductions/meta-ability.md is computed here from the measured numbers.

    python experiments/meta_ability.py [--steps 20] [--domain-steps 20] [--eval-problems 50]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from reasonlab.cli.common import config_from
from reasonlab.core.plots import new_figure, save_figure
from reasonlab.core.progress import progress_bar
from reasonlab.core.runs import write_atomic, write_json
from reasonlab.core.seeds import derive_seed
from reasonlab.engines import SamplingParams
from reasonlab.engines.hf import HFEngine
from reasonlab.jobs.generate import grade_sample
from reasonlab.jobs.merge import MergeConfig, run_merge
from reasonlab.models.loading import chat_prompt_ids
from reasonlab.models.think import detect_think_format
from reasonlab.rl.config import RLConfig
from reasonlab.rl.job import train_in_folder
from reasonlab.tasks import create_task
from reasonlab.tasks.answer_tags import tags_well_formed

DOCS = Path("docs/reproductions")
TRAIN_SEED = 7  # problems RL trains on; evaluation uses seed 0
ABILITIES = ("deduction", "induction", "abduction")
# The bare formats testbed:logic reads (ASCII connectives, no tag instructions: docs of testbed:logic).
OPTIONS: dict[str, dict[str, Any]] = {
    "deduction": {"notation": "ascii", "instructions": False},
    "induction": {"instructions": False, "source": "released"},  # what the paper trained on
    "abduction": {"instructions": False},
}
PAPER_WEIGHTS = (1.0, 0.2, 0.1)  # deduction, induction, abduction
SWEEP = {"paper 1.0/0.2/0.1": PAPER_WEIGHTS, "equal": (1.0, 1.0, 1.0), "induction-led": (0.2, 1.0, 0.1)}
SWEEP["abduction-led"] = (0.2, 0.1, 1.0)
# Official steps per level: deduction 20 epochs x 900/32 = 560, induction 8 x 900/16 = 448,
# abduction 1 x 1800/32 = 56, at 32 / 16 / 32 prompts a step: the sizes of the three task vectors
# the paper's merge weights were chosen for. (share of --steps, share of --prompts)
BUDGET = {"deduction": (1.0, 1.0), "induction": (0.8, 0.5), "abduction": (0.1, 1.0)}
HELD_OUT = ["arith"]
# Domain RL: GRPO with SimpleRL-Zoo's sampling (temperature 1.0, no entropy bonus).
DOMAIN_RL = {"algo": "grpo", "temperature": 1.0, "entropy_coef": 0.0, "reward_norm": "response"}
POSITIONS = 1024  # the testbed's


def eval_sets() -> dict[str, tuple[str, dict[str, Any]]]:
    """name -> (task, options): each ability at levels 1 and 2, and arith (the domain task)."""
    sets = {f"{a} L{lv}": (a, {**OPTIONS[a], "level": lv}) for a in ABILITIES for lv in (1, 2)}
    sets["arith"] = ("arith", {})
    return sets


def rl_config(args: argparse.Namespace, model: str, task: str, options: dict, **changes: Any) -> RLConfig:
    """Specialist RL as the official scripts: REINFORCE++ (reward whitened over the batch's response
    tokens, as verl; KL k3 0.001 as a loss), n = 4, rollouts at temperature 0.7, entropy bonus
    0.001 (Logic-RL's default, which they keep), each ability's share of the budget; learning rate
    and steps sized for a tiny model."""
    step_share, prompt_share = BUDGET.get(task, (1.0, 1.0))
    values = {
        "model": model,
        "task": task,
        "task_options": {**options, "seed": TRAIN_SEED},
        "algo": "reinforce++",
        "reward_norm": "token",  # verl's whitening over response tokens
        "steps": max(1, round(args.steps * step_share)),
        "prompts_per_step": max(1, round(args.prompts * prompt_share)),
        "num_generations": 4,
        "learning_rate": args.lr,
        "beta": 0.001,
        "kl_estimator": "k3",
        "temperature": 0.7,
        "entropy_coef": 0.001,
        "max_tokens": args.max_tokens,
        "seed": 0,
        "checkpoint_every_s": 60.0,
    }
    return config_from(RLConfig, {**values, **changes}).validate()


def train(cfg: RLConfig, folder: Path) -> dict:
    summary, _ = train_in_folder(cfg, create_task(cfg.task, **cfg.task_options), folder)
    return summary


def merge(models: list[str], weights: tuple[float, ...], folder: Path, base: str | None = None) -> None:
    """Into `folder`, unless an earlier run made it: linear and normalized, or with a base task
    arithmetic (base + sum of weight x (model - base), unnormalized)."""
    if not (folder / "model.safetensors").exists():
        if base is None:
            cfg = MergeConfig(models=models, weights=list(weights), method="linear", normalize=True)
        else:
            cfg = MergeConfig(
                models=models, weights=list(weights), method="task_arithmetic", base=base, normalize=False
            )
        run_merge(cfg, folder)


def evaluate(
    model: str, n: int, problems: int, max_tokens: int, temperature: float, out: Path
) -> dict[str, dict]:
    """{set: {"correct": [problem][sample] bools, "well_formed": share}} of `model`; cached in `out`."""
    if out.exists():
        return json.loads(out.read_text())
    engine = HFEngine.from_pretrained(model)
    tok, think = engine.tokenizer, detect_think_format(engine.tokenizer)
    result = {}
    sets = eval_sets()
    with progress_bar(len(sets) * problems, f"evaluating {model}") as advance:
        for name, (task_name, options) in sets.items():
            task = create_task(task_name, **options)
            items = task.problems(problems)
            prompts = [chat_prompt_ids(tok, p.question, None, think) for p in items]
            params = [
                SamplingParams(
                    n=n,
                    temperature=temperature,
                    top_p=0.95 if temperature > 0 else 1.0,
                    max_tokens=min(max_tokens, POSITIONS - len(ids)),
                    seed=derive_seed(0, "meta-eval", p.id),
                )
                for p, ids in zip(items, prompts)
            ]
            correct, formed = [], []
            for start in range(0, len(items), 16):
                outs = engine.generate(prompts[start : start + 16], params[start : start + 16])
                for p, o in zip(items[start : start + 16], outs):
                    correct.append([grade_sample(task, p, c, think)["correct"] for c in o.outputs])
                    if task_name != "arith":
                        formed += [tags_well_formed(c.text) for c in o.outputs]
                advance(len(outs))
            result[name] = {"correct": correct, "well_formed": float(np.mean(formed)) if formed else None}
    write_json(out, result)
    return result


def accuracy(result: dict, sets: list[str]) -> float:
    return float(np.mean([np.mean(result[s]["correct"]) for s in sets]))


def oracle(results: list[dict]) -> dict[str, dict]:
    """A sample is right when any model's sample of the same index on the same problem is (greedy:
    a problem is right when any model gets it right)."""
    return {
        s: {"correct": np.any([r[s]["correct"] for r in results], axis=0).tolist(), "well_formed": None}
        for s in results[0]
    }


def paired(a: dict, b: dict, sets: list[str]) -> tuple[float, float]:
    """(mean accuracy of b - a over `sets`, its standard error): per-problem differences, paired
    (same problems and sample seeds), each set weighted equally as in `accuracy`."""
    means, variances = [], []
    for s in sets:
        d = np.mean(b[s]["correct"], axis=1) - np.mean(a[s]["correct"], axis=1)
        means.append(d.mean())
        variances.append(d.var(ddof=1) / len(d) if len(d) > 1 else 0.0)
    return float(np.mean(means)), float(np.sqrt(np.sum(variances)) / len(sets))


def verdict(d: float, se: float) -> str:
    if se == 0 and d == 0:
        return "not resolved (no difference)"
    if d > 2 * se:
        return "agree"
    if d < -2 * se:
        return "disagree"
    return "not resolved (within 2 SE)"


def claims(results: dict[str, dict], ability_sets: list[str]) -> list[tuple[str, str, str]]:
    """(claim, measured, verdict) for each of the paper's claims, on the held-out task; then the same
    comparisons of merged and specialists on the ability sets, as in-distribution diagnostics."""
    rows = []

    def compare(claim: str, a: str, b: str, sets: list[str]) -> None:
        d, se = paired(results[a], results[b], sets)
        rows.append((claim, f"{100 * d:+.1f} points (SE {100 * se:.1f})", verdict(d, se)))

    merged = "merged (paper weights)"
    for a in ABILITIES:
        compare(f"{a} specialist > base (arith)", "base", f"{a} specialist", HELD_OUT)
    for a in ABILITIES:
        compare(f"merged > {a} specialist (arith)", f"{a} specialist", merged, HELD_OUT)
    compare("merged > base (arith)", "base", merged, HELD_OUT)
    compare(
        "oracle ensemble well above merged (paper: +8.9 points on math) (arith)",
        merged,
        "oracle ensemble",
        HELD_OUT,
    )
    compare(
        "domain RL from merged > from base (arith)", "domain RL from base", "domain RL from merged", HELD_OUT
    )
    for a in ABILITIES:
        compare(
            f"in-distribution: merged > {a} specialist (ability sets)",
            f"{a} specialist",
            merged,
            ability_sets,
        )
    return rows


def plot(results: dict[str, dict], sets: list[str], path: Path) -> None:
    fig, ax = new_figure(11, 4.5)
    names = list(results)
    width = 0.8 / len(names)
    for k, name in enumerate(names):
        values = [100 * np.mean(results[name][s]["correct"]) for s in sets]
        ax.bar(np.arange(len(sets)) + k * width, values, width, label=name)
    ax.set_xticks(np.arange(len(sets)) + 0.4 - width / 2, sets)
    ax.set_ylabel("accuracy (%)")
    ax.set_title("meta-ability alignment on testbed:logic")
    ax.legend(fontsize=7, ncol=3)
    save_figure(fig, path)


class Stages:
    """Wall time per stage, kept in <work>/stages.json: a stage whose output an earlier run left
    (and that therefore only reads it back) keeps the time it took then."""

    def __init__(self, path: Path):
        self.path = path
        self.seconds: dict[str, float] = json.loads(path.read_text()) if path.exists() else {}

    def run(self, name: str, output: Path, fn, *a, **kw):
        """fn(*a, **kw), timed and recorded when `output` did not exist before it ran."""
        fresh = not output.exists()
        t0 = time.perf_counter()
        out = fn(*a, **kw)
        if fresh:
            self.seconds[name] = time.perf_counter() - t0
            write_json(self.path, self.seconds)
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="testbed:logic")
    parser.add_argument("--steps", type=int, default=20, help="RL steps per curriculum level")
    parser.add_argument("--domain-steps", type=int, default=20)
    parser.add_argument("--prompts", type=int, default=8, help="prompts per RL step")
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--max-tokens", type=int, default=640)
    parser.add_argument("--eval-problems", type=int, default=50)
    parser.add_argument("--eval-n", type=int, default=1, help="samples per problem (1 when greedy)")
    parser.add_argument("--eval-temperature", type=float, default=0.0, help="0: greedy, as the paper")
    parser.add_argument("--work", default="runs/exp-meta-ability")
    parser.add_argument("--docs", default=str(DOCS))
    args = parser.parse_args()
    if args.eval_temperature == 0 and args.eval_n != 1:
        parser.error("greedy evaluation (--eval-temperature 0) takes --eval-n 1")
    work, docs = Path(args.work), Path(args.docs)
    work.mkdir(parents=True, exist_ok=True)
    stages = Stages(work / "stages.json")
    t0 = time.perf_counter()

    def measure(model: str, name: str) -> dict:
        cache = work / "eval" / f"{name}.json"
        return stages.run(
            f"evaluate {name}",
            cache,
            evaluate,
            model,
            args.eval_n,
            args.eval_problems,
            args.max_tokens,
            args.eval_temperature,
            cache,
        )

    results = {"base": measure(args.base, "base")}
    specialists = []
    for a in ABILITIES:
        model = args.base
        for level in (1, 2):
            folder = work / f"{a}-L{level}"
            cfg = rl_config(args, model, a, {**OPTIONS[a], "level": level})
            stages.run(f"specialist {a} level {level}", folder / "summary.json", train, cfg, folder)
            model = str(folder / "model")
        specialists.append(model)
        results[f"{a} specialist"] = measure(model, f"{a}-specialist")
    results["oracle ensemble"] = oracle([results[f"{a} specialist"] for a in ABILITIES])

    merges = {}
    recipes = [(label, weights, None) for label, weights in SWEEP.items()]
    recipes.insert(1, ("task arithmetic 1.0/0.2/0.1", PAPER_WEIGHTS, args.base))
    for label, weights, base in recipes:
        folder = work / f"merged-{label.split()[0]}"
        out = folder / "model.safetensors"
        stages.run(f"merge {label}", out, merge, specialists, weights, folder, base)
        merges[label] = measure(str(folder), folder.name)
    results["merged (paper weights)"] = merges["paper 1.0/0.2/0.1"]

    for label, start in (("base", args.base), ("merged", str(work / "merged-paper"))):
        folder = work / f"domain-{label}"
        cfg = rl_config(args, start, "arith", {}, steps=args.domain_steps, **DOMAIN_RL)
        stages.run(f"domain RL from {label}", folder / "summary.json", train, cfg, folder)
        results[f"domain RL from {label}"] = measure(str(folder / "model"), folder.name)
    wall = time.perf_counter() - t0

    sets = list(eval_sets())
    ability_sets = [s for s in sets if s not in HELD_OUT]
    rows = claims(results, ability_sets)
    docs.mkdir(parents=True, exist_ok=True)
    plot(results, sets, docs / "meta-ability.png")
    summary = {
        "accuracy": {name: {s: float(np.mean(r[s]["correct"])) for s in sets} for name, r in results.items()},
        "well_formed": {name: {s: r[s]["well_formed"] for s in ability_sets} for name, r in results.items()},
        "sweep": {label: {s: float(np.mean(r[s]["correct"])) for s in sets} for label, r in merges.items()},
        "claims": [{"claim": c, "measured": m, "verdict": v} for c, m, v in rows],
        "stage_seconds": stages.seconds,
        "wall_seconds_this_run": wall,
        "settings": vars(args),
    }
    write_json(docs / "meta-ability.json", summary)
    write_atomic(docs / "meta-ability.md", report(args, results, merges, rows, stages.seconds, sets))
    print(f"wrote {docs / 'meta-ability.md'} ({wall / 60:.1f} min this run)")


def training_rows(work: Path) -> list[str]:
    """One table row per RL run of the pipeline: whether training moved it (rollout accuracy over its
    first and last 5 steps, rollouts left without a learning signal, the final KL to its start)."""
    names = [f"{a}-L{lv}" for a in ABILITIES for lv in (1, 2)] + ["domain-base", "domain-merged"]
    out = []
    for name in names:
        path = work / name / "metrics.jsonl"
        if not path.is_file():
            continue
        steps = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        acc = [s["accuracy"] for s in steps]
        zero = np.mean([s["zero_advantage"] for s in steps])
        out.append(
            f"| {name} | {len(steps)} | {100 * np.mean(acc[:5]):.1f} | {100 * np.mean(acc[-5:]):.1f} | "
            f"{100 * zero:.0f}% | {steps[-1]['kl']:.4f} |"
        )
    return out


def report(args, results, merges, rows, seconds: dict[str, float], sets: list[str]) -> str:
    ability_sets = [s for s in sets if s not in HELD_OUT]

    def line(name: str, r: dict) -> str:
        cells = " | ".join(f"{100 * np.mean(r[s]['correct']):.1f}" for s in sets)
        return f"| {name} | {cells} | {100 * accuracy(r, ability_sets):.1f} | {100 * accuracy(r, sets):.1f} |"

    head = "| model | " + " | ".join(sets) + " | abilities | overall |\n|" + "---|" * (len(sets) + 3)
    out = [
        "# Meta-ability alignment on the testbed (arXiv 2505.10554, in miniature)\n",
        f"Base `{args.base}`. Specialists: REINFORCE++ on one ability, level 1 then level 2, the "
        f"official scripts' uneven budgets scaled to {args.steps} steps x {args.prompts} prompts (deduction "
        "1 x 1, induction 0.8 x 0.5, abduction 0.1 x 1) x 4 responses at temperature 0.7, entropy bonus "
        f"0.001, lr {args.lr}, the paper's reward (format +-1, answer +2 / -1.5 / -2); induction on the "
        "released data's shapes. Merge: linear, normalized (and task arithmetic, unnormalized). Domain "
        f"RL: GRPO on arith, {args.domain_steps} steps. Evaluation: {args.eval_problems} held-out problems "
        f"per set x {args.eval_n} sample(s), "
        + ("greedy" if args.eval_temperature == 0 else f"temperature {args.eval_temperature}")
        + "; accuracy in %. The paper's claims are about held-out tasks, so their verdicts are taken on "
        "arith, which no specialist trains on; the ability sets are in-distribution.\n",
        "![accuracy per set](meta-ability.png)\n",
        head,
        *[line(name, r) for name, r in results.items()],
        "\n## Merge weight sweep (deduction / induction / abduction specialists)\n",
        head,
        *[line(label, r) for label, r in merges.items()],
        "\n## What RL did to each run (rollout accuracy on its training problems, in %)\n",
        "| run | steps | first 5 steps | last 5 steps | rollouts with zero advantage | final KL |",
        "|---|---|---|---|---|---|",
        *training_rows(Path(args.work)),
        "\n## The paper's claims\n",
        "| claim | measured (paired over problems) | verdict |\n|---|---|---|",
        *[f"| {c} | {m} | {v} |" for c, m, v in rows],
        "\nA verdict agrees or disagrees when the difference exceeds 2 standard errors; otherwise it is "
        "not resolved at this size.\n",
        "## Wall time per stage (2 CPU cores)\n",
        "| stage | minutes |\n|---|---|",
        *[f"| {k} | {v / 60:.1f} |" for k, v in seconds.items()],
        f"| total | {sum(seconds.values()) / 60:.1f} |",
    ]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
