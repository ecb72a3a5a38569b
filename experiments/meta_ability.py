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

    python experiments/meta_ability.py [--steps 20] [--domain-steps 20] [--eval-problems 50] [--held-out-problems 200]
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from reasonlab.cli.common import config_from
from reasonlab.core.fingerprints import fingerprint
from reasonlab.core.plots import new_figure, save_figure
from reasonlab.core.progress import progress_bar
from reasonlab.core.runs import write_atomic, write_json
from reasonlab.core.seeds import derive_seed
from reasonlab.engines import SamplingParams
from reasonlab.engines.hf import HFEngine
from reasonlab.jobs.generate import grade_sample
from reasonlab.jobs.merge import MergeConfig, run_merge
from reasonlab.models.loading import chat_prompt_ids, resolve_model_path
from reasonlab.models.think import detect_think_format
from reasonlab.rl.config import RLConfig
from reasonlab.rl.job import train_in_folder
from reasonlab.rl.trainer import step_problems
from reasonlab.tasks import create_task
from reasonlab.tasks.answer_tags import TaggedAnswerTask, tags_well_formed
from reasonlab.tasks.base import Problem, Task
from reasonlab.testbed.presets import PRESETS
from reasonlab.testbed.train import TRAIN_TASK_SEED, training_task

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
# the paper's merge weights were chosen for. (share of --steps, share of --prompts) The paper's text
# says 200 instances a task and level for 7B; the released data and scripts are what is scaled here.
BUDGET = {"deduction": (1.0, 1.0), "induction": (0.8, 0.5), "abduction": (0.1, 1.0)}
HELD_OUT = ["arith"]
MERGED = "merged (paper weights)"
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


def fresh_run(folder: Path) -> bool:
    """Whether the RL stage in `folder` still has to train (train_in_folder reuses a finished run
    only of the same recipe and starting weights, and refuses any other)."""
    return not (folder / "summary.json").exists()


def training_seconds(summary: dict) -> float:
    """An RL run's training seconds, summed over its resumed segments."""
    return summary["seconds"]


def train(cfg: RLConfig, folder: Path) -> dict:
    summary, _ = train_in_folder(cfg, create_task(cfg.task, **cfg.task_options), folder)
    return summary


def model_digest(model: str) -> str:
    """The digest of a model folder's files (weights, config, tokenizer; not its card), or the
    handle of a model built in memory."""
    path = resolve_model_path(model)
    return fingerprint(path)["sha256"] if path is not None else model


def merge_inputs(models: list[str], weights: tuple[float, ...], base: str | None) -> dict:
    """What a merge is made of: the digests of the models (and base) and the weights."""
    return {
        "models": [model_digest(m) for m in models],
        "base": model_digest(base) if base is not None else None,
        "weights": list(weights),
    }


def merged_from(folder: Path, inputs: dict) -> bool:
    """Whether `folder` holds a merge of `inputs` (recorded beside it, in <folder>.inputs.json)."""
    record = folder.with_name(folder.name + ".inputs.json")
    return (
        (folder / "model.safetensors").exists()
        and record.exists()
        and json.loads(record.read_text()) == inputs
    )


def merge(
    models: list[str], weights: tuple[float, ...], folder: Path, base: str | None, inputs: dict
) -> None:
    """Into `folder` (replacing what is there), with `inputs` = merge_inputs(...) recorded beside it:
    linear and normalized, or with a base task arithmetic (base + sum of weight x (model - base),
    unnormalized). The pipeline calls it when merged_from says the folder holds no such merge."""
    if base is None:
        cfg = MergeConfig(models=models, weights=list(weights), method="linear", normalize=True)
    else:
        cfg = MergeConfig(
            models=models, weights=list(weights), method="task_arithmetic", base=base, normalize=False
        )
    shutil.rmtree(folder, ignore_errors=True)
    run_merge(cfg, folder)
    write_json(folder.with_name(folder.name + ".inputs.json"), inputs)


def eval_problems(problems: int, held_out: int | None = None) -> dict[str, tuple[Task, list[Problem]]]:
    """{set: (task, its evaluation problems)}: the first `problems` of each ability set and the first
    `held_out` (default: as many) of each held-out task."""
    held_out = problems if held_out is None else held_out
    out = {}
    for name, (task_name, options) in eval_sets().items():
        task = create_task(task_name, **options)
        out[name] = (task, task.problems(held_out if name in HELD_OUT else problems))
    return out


def eval_key(
    model: str, n: int, problems: int, max_tokens: int, temperature: float, held_out: int | None = None
) -> dict:
    """What an evaluation's result depends on: the model (by the digest of its folder, so that a
    stage retrained under the same name is measured again), the sets (tasks and options; not the
    generators' code) and the sampling settings; as JSON reads it back."""
    key = {
        "weights": model_digest(model),
        "n": n,
        "problems": problems,
        "max_tokens": max_tokens,
        "temperature": temperature,
        "held_out_problems": problems if held_out is None else held_out,
        "sets": eval_sets(),
    }
    return json.loads(json.dumps(key))


def cached(out: Path, key: dict) -> dict | None:
    """The result kept in `out` when it was measured under `key`, else None."""
    if not out.exists():
        return None
    saved = json.loads(out.read_text())
    return saved["sets"] if saved.get("key") == key else None


def evaluate(
    model: str, n: int, problems: int, max_tokens: int, temperature: float, held_out: int | None = None
) -> dict[str, dict]:
    """{set: {"correct": [problem][sample] bools, "well_formed": share}} of `model` on `problems` of
    each ability set and `held_out` (default: as many) of each held-out task."""
    drawn = eval_problems(problems, held_out)
    engine = HFEngine.from_pretrained(model)
    tok, think = engine.tokenizer, detect_think_format(engine.tokenizer)
    result = {}
    with progress_bar(sum(len(items) for _, items in drawn.values()), f"evaluating {model}") as advance:
        for name, (task, items) in drawn.items():
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
                    if isinstance(task, TaggedAnswerTask):  # arith has no tags to check
                        formed += [tags_well_formed(c.text) for c in o.outputs]
                advance(len(outs))
            result[name] = {"correct": correct, "well_formed": float(np.mean(formed)) if formed else None}
    return result


def base_training_questions(base: str) -> set[str] | None:
    """The questions a testbed base was trained on: its recipe's batches (whole pools of `bucket`
    batches) and those of the recipe it was fine-tuned from, down the chain; None when the base is
    not a testbed recipe (what it trained on is not known here)."""
    name = base.removeprefix("testbed:") if base.startswith("testbed:") else None
    if name not in PRESETS:
        return None
    questions: set[str] = set()
    while name is not None:
        preset = PRESETS[name]
        task = training_task(preset)
        drawn = -(-preset.steps // preset.bucket) * preset.bucket * preset.batch_size
        questions |= {task.problem(i % len(task)).question for i in range(drawn)}
        name = preset.init
    return questions


def rl_questions(args: argparse.Namespace, task: str) -> set[str]:
    """The questions the pipeline's RL runs on `task` drew: an ability's specialist (both levels) or
    domain RL (the trainer takes problems in order, `prompts_per_step` a step)."""
    if task in ABILITIES:
        configs = [rl_config(args, args.base, task, {**OPTIONS[task], "level": lv}) for lv in (1, 2)]
    else:
        configs = [rl_config(args, args.base, task, {}, steps=args.domain_steps, **DOMAIN_RL)]
    return {
        p.question
        for cfg in configs
        for step in range(cfg.steps)
        for p in step_problems(create_task(task, **cfg.task_options), step, cfg.prompts_per_step)
    }


def seen_in_training(args: argparse.Namespace) -> dict[str, dict[str, int | None]]:
    """Per evaluation set: its problems, how many distinct, and how many of them the base's training
    (None: not known) and the pipeline's RL on that task (specialist or domain RL) also drew. Different
    seeds do not make different problems in a small space (induction in the released data's shapes,
    levels 1-2)."""
    base = base_training_questions(args.base)
    out = {}
    for name, (task, items) in eval_problems(args.eval_problems, args.held_out_problems).items():
        questions = [p.question for p in items]
        rl = rl_questions(args, task.name)
        out[name] = {
            "problems": len(questions),
            "distinct": len(set(questions)),
            "in_base_training": None if base is None else sum(q in base for q in questions),
            "in_rl": sum(q in rl for q in questions),
        }
    return out


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


def points(d: float, se: float) -> str:
    """A paired difference in accuracy points, with its standard error."""
    return f"{100 * d:+.1f} points (SE {100 * se:.1f})"


def verdict(d: float, se: float, words: tuple[str, str] = ("agree", "disagree")) -> str:
    """words[0] when d is above 0 by more than 2 SE, words[1] when below, else not resolved."""
    if se == 0 and d == 0:
        return "not resolved (no difference)"
    if d > 2 * se:
        return words[0]
    if d < -2 * se:
        return words[1]
    return "not resolved (within 2 SE)"


def comparer(results: dict[str, dict], rows: list[tuple[str, str, str]], words=("agree", "disagree")):
    """compare(claim, a, b, sets, note=""): appends (claim, measured b - a, verdict) to `rows`."""

    def compare(claim: str, a: str, b: str, sets: list[str], note: str = "") -> None:
        d, se = paired(results[a], results[b], sets)
        rows.append((claim, f"{points(d, se)}{note}", verdict(d, se, words)))

    return compare


def claims(results: dict[str, dict], ability_sets: list[str]) -> list[tuple[str, str, str]]:
    """(claim, measured, verdict) for each of the paper's claims, on the held-out task; then the same
    comparisons of merged and specialists on the ability sets, as in-distribution diagnostics."""
    rows: list[tuple[str, str, str]] = []
    compare = comparer(results, rows)

    for a in ABILITIES:
        compare(f"{a} specialist > base (arith)", "base", f"{a} specialist", HELD_OUT)
    for a in ABILITIES:
        compare(f"merged > {a} specialist (arith)", f"{a} specialist", MERGED, HELD_OUT)
    compare("merged > base (arith)", "base", MERGED, HELD_OUT)
    compare(
        "oracle ensemble well above merged (paper: +8.9 points on math) (arith)",
        MERGED,
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
            MERGED,
            ability_sets,
        )
    return rows


HOLDS = ("holds", "fails")
ORACLES = {  # oracle ensembles whose lead over their best member the report measures
    "oracle ensemble > its best member (arith)": [f"{a} specialist" for a in ABILITIES],
    "reference, no specialists: oracle of base, merged and domain RL from base > its best member (arith)": [
        "base",
        MERGED,
        "domain RL from base",
    ],
}


def own_sets(ability: str) -> list[str]:
    """The evaluation sets of an ability: the two levels its specialist trains on."""
    return [f"{ability} L1", f"{ability} L2"]


def preconditions(results: dict[str, dict]) -> list[tuple[str, str, str]]:
    """What the claims rest on, measured the same way (holds / fails): whether each specialist
    learned its own ability (levels 1 and 2), whether domain RL raised arith from where it started,
    and how far the oracle ensemble is above its best member, beside the same gap for an oracle of
    models that no RL made good at different abilities (near-copies of one model, each off by its
    own noise, already put an oracle above all its members)."""
    rows: list[tuple[str, str, str]] = []
    compare = comparer(results, rows, HOLDS)
    for a in ABILITIES:
        compare(f"{a} specialist > base on {a}", "base", f"{a} specialist", own_sets(a))
    compare("domain RL from base > base (arith)", "base", "domain RL from base", HELD_OUT)
    compare("domain RL from merged > merged (arith)", MERGED, "domain RL from merged", HELD_OUT)

    for claim, members in ORACLES.items():
        d, se, best = oracle_gap(results, members)
        rows.append((claim, f"{points(d, se)}; best: {best}", verdict(d, se, HOLDS)))
    return rows


def oracle_gap(results: dict[str, dict], members: list[str]) -> tuple[float, float, str]:
    """(accuracy of the members' oracle - its best member's on arith, its SE, the best member)."""
    best = max(members, key=lambda m: accuracy(results[m], HELD_OUT))
    d, se = paired(results[best], oracle([results[m] for m in members]), HELD_OUT)
    return d, se, best


def readings(results: dict[str, dict]) -> list[str]:
    """What the verdicts can be read as, given the checks they rest on (each sentence chosen by the
    measured numbers, with the 2-SE rule of the tables)."""

    def judged(a: str, b: str, sets: list[str], words=HOLDS) -> str:
        return verdict(*paired(results[a], results[b], sets), words)

    learned = [a for a in ABILITIES if judged("base", f"{a} specialist", own_sets(a)) == "holds"]
    out = [
        f"Specialists that gained their own ability: {', '.join(learned)}."
        if learned
        else "No specialist gained its own ability, so no verdict above tests the paper's mechanism "
        "(abilities learned apart, then combined by merging)."
    ]
    (spec, spec_se, _), (ref, ref_se, _) = (oracle_gap(results, m) for m in ORACLES.values())
    beyond_noise = spec - ref > 2 * np.hypot(spec_se, ref_se)
    out.append(
        f"The specialists' oracle is {points(spec, spec_se)} above its best member; an oracle of models "
        f"that no RL made good at different abilities is {points(ref, ref_se)} above its own. "
        + (
            "The specialists' lead is larger by more than 2 SE: their errors differ beyond noise."
            if beyond_noise
            else "The specialists' lead is not larger by 2 SE: models that differ only by noise lead "
            "their members as much, so the oracle's lead does not show complementary abilities."
        )
        + " (The two gaps are on the same problems; their SEs are combined as if independent.)"
    )
    base_move = paired(results["base"], results["domain RL from base"], HELD_OUT)
    merged_move = paired(results[MERGED], results["domain RL from merged"], HELD_OUT)
    from_losses = (
        verdict(*base_move, HOLDS) == "fails"
        and judged("domain RL from base", "domain RL from merged", HELD_OUT, ("agree", "disagree")) == "agree"
    )
    better_start = judged("base", MERGED, HELD_OUT) == "holds"
    out.append(
        f"Domain RL moved arith by {points(*base_move)} from the base and {points(*merged_move)} from "
        "the merged model; the claim compares where the two runs ended"
        + (", so its agreement comes from RL from the base losing ground" if from_losses else "")
        + (
            ", not from a better start (merged is not above base by 2 SE)"
            if from_losses and not better_start
            else ""
        )
        + "."
    )
    return out


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
    ax.set_ylim(0, 100)  # the legend sits above the bars, which stay under 100
    ax.legend(fontsize=7, ncol=4, loc="upper left")
    save_figure(fig, path)


class Stages:
    """Wall time per stage, kept in <work>/stages.json: a stage whose output an earlier run left
    (and that therefore only reads it back) keeps the time it took then. An RL stage counts its
    run's own training seconds, which add up over the sessions a resumed run spans."""

    def __init__(self, path: Path):
        self.path = path
        self.seconds: dict[str, float] = json.loads(path.read_text()) if path.exists() else {}

    def run(self, name: str, fn, *a, fresh: bool = True, seconds_of=None, **kw):
        """fn(*a, **kw), timed and recorded when `fresh` (it makes its output rather than reads it
        back); `seconds_of(output)`, when given, says how long it took instead of the clock."""
        t0 = time.perf_counter()
        out = fn(*a, **kw)
        if fresh:
            self.seconds[name] = seconds_of(out) if seconds_of else time.perf_counter() - t0
            write_json(self.path, self.seconds)
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="testbed:logic")
    parser.add_argument("--steps", type=int, default=20, help="RL steps per curriculum level")
    parser.add_argument("--domain-steps", type=int, default=20)
    parser.add_argument("--prompts", type=int, default=8, help="prompts per RL step")
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--max-tokens", type=int, default=640)
    parser.add_argument("--eval-problems", type=int, default=50, help="problems per ability set")
    parser.add_argument(
        "--held-out-problems",
        type=int,
        default=200,
        help="problems of the held-out task (arith), where the paper's claims are judged",
    )
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
        settings = (args.eval_n, args.eval_problems, args.max_tokens, args.eval_temperature)
        key = eval_key(model, *settings, args.held_out_problems)  # the model is hashed once
        if (result := cached(cache, key)) is not None:
            return result
        result = stages.run(f"evaluate {name}", evaluate, model, *settings, args.held_out_problems)
        write_json(cache, {"key": key, "sets": result})
        return result

    results = {"base": measure(args.base, "base")}
    specialists = []
    for a in ABILITIES:
        model = args.base
        for level in (1, 2):
            folder = work / f"{a}-L{level}"
            cfg = rl_config(args, model, a, {**OPTIONS[a], "level": level})
            stages.run(
                f"specialist {a} level {level}",
                train,
                cfg,
                folder,
                fresh=fresh_run(folder),
                seconds_of=training_seconds,
            )
            model = str(folder / "model")
        specialists.append(model)
        results[f"{a} specialist"] = measure(model, f"{a}-specialist")
    results["oracle ensemble"] = oracle([results[f"{a} specialist"] for a in ABILITIES])

    merges = {}
    recipes = [(label, weights, None) for label, weights in SWEEP.items()]
    recipes.insert(1, ("task arithmetic 1.0/0.2/0.1", PAPER_WEIGHTS, args.base))
    for label, weights, base in recipes:
        folder = work / f"merged-{label.split()[0]}"
        inputs = merge_inputs(specialists, weights, base)  # the models are hashed once
        if not merged_from(folder, inputs):
            stages.run(f"merge {label}", merge, specialists, weights, folder, base, inputs)
        merges[label] = measure(str(folder), folder.name)
    results[MERGED] = merges["paper 1.0/0.2/0.1"]

    for label, start in (("base", args.base), ("merged", str(work / "merged-paper"))):
        folder = work / f"domain-{label}"
        cfg = rl_config(args, start, "arith", {}, steps=args.domain_steps, **DOMAIN_RL)
        stages.run(
            f"domain RL from {label}",
            train,
            cfg,
            folder,
            fresh=fresh_run(folder),
            seconds_of=training_seconds,
        )
        results[f"domain RL from {label}"] = measure(str(folder / "model"), folder.name)
    wall = time.perf_counter() - t0

    sets = list(eval_sets())
    ability_sets = [s for s in sets if s not in HELD_OUT]
    rows, checks = claims(results, ability_sets), preconditions(results)
    seen, reads = seen_in_training(args), readings(results)
    docs.mkdir(parents=True, exist_ok=True)
    plot(results, sets, docs / "meta-ability.png")
    summary = {
        "accuracy": {name: {s: float(np.mean(r[s]["correct"])) for s in sets} for name, r in results.items()},
        "well_formed": {name: {s: r[s]["well_formed"] for s in ability_sets} for name, r in results.items()},
        "sweep": {label: {s: float(np.mean(r[s]["correct"])) for s in sets} for label, r in merges.items()},
        "claims": [{"claim": c, "measured": m, "verdict": v} for c, m, v in rows],
        "preconditions": [{"check": c, "measured": m, "verdict": v} for c, m, v in checks],
        "readings": reads,
        "evaluation_problems_seen_in_training": seen,
        "stage_seconds": stages.seconds,
        "wall_seconds_this_run": wall,
        "settings": vars(args),
    }
    write_json(docs / "meta-ability.json", summary)
    write_atomic(
        docs / "meta-ability.md",
        report(args, results, merges, rows, checks, reads, seen, stages.seconds, sets),
    )
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


def report(
    args, results, merges, rows, checks, reads, seen, seconds: dict[str, float], sets: list[str]
) -> str:
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
        f"RL: GRPO on arith, {args.domain_steps} steps. Evaluation: problems of seed 0 (RL draws seed "
        f"{TRAIN_SEED}, a testbed base's fine-tuning seed {TRAIN_TASK_SEED}; the ones they share are counted "
        "below), "
        f"{args.eval_problems} per ability set and {args.held_out_problems} of arith, x {args.eval_n} sample(s), "
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
        "not resolved at this size. The standard errors are over problems: each RL stage ran once, and "
        "RL runs on the testbed differ widely from seed to seed (docs/reproductions/rl.md), so a verdict "
        "that rests on an RL run speaks for that run.\n",
        "## What the claims rest on\n",
        "The paper's reading needs specialists that gained their ability, domain RL that gained on its "
        "task, and an oracle ensemble above its members because they are good at different things. "
        "Near-copies of one model, each off by its own noise, also put an oracle above all its members: "
        "the last row measures that gap for models that no RL made good at different abilities. "
        "Measured the same way:\n",
        "| check | measured (paired over problems) | verdict |\n|---|---|---|",
        *[f"| {c} | {m} | {v} |" for c, m, v in checks],
        "\n## Reading the verdicts\n",
        *[f"- {r}" for r in reads],
        "\n## Evaluation problems also drawn in training\n",
        "Seeds keep draws apart only where the space of problems is large. Where it is small, the "
        "evaluation repeats problems that training saw, and its rows measure what a model kept of "
        "them rather than what it generalized; its standard errors, over problems, are a little low "
        "where problems repeat.\n",
        "| set | problems | distinct | also in the base's training | also in its RL runs (specialist; arith: domain RL) |",
        "|---|---|---|---|---|",
        *[
            "| " + " | ".join("n/a" if v is None else str(v) for v in (name, *counts.values())) + " |"
            for name, counts in seen.items()
        ],
        "",
        "## Time per stage (2 CPU cores; an RL stage: its run's training seconds)\n",
        "| stage | minutes |\n|---|---|",
        *[f"| {k} | {v / 60:.1f} |" for k, v in seconds.items()],
        f"| total | {sum(seconds.values()) / 60:.1f} |",
    ]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
