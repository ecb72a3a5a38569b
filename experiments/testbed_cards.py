"""Measure the shipped testbed models and write their model cards from the measurements.

For each model: `evaluate` at temperature 0.6 on the default arith task (held-out seed 0; training
used seed 1), with forced answers at 25/50/75% of the thinking. Writes evaluation.json and
README.md into the model folder, and prints the quality bars of the testbed issue.

    python experiments/testbed_cards.py [--num-problems 200] [-n 4] [--models target draft]
    python experiments/testbed_cards.py --rerun target runs/tb-target/model   # a retrained copy

After `reasonlab testbed ship` replaced a model's weights, its evaluation.json and card are marked
stale until this script measures that model again (`--models NAME`); `--render-only` keeps the mark.

A rerun (the folder `reasonlab testbed train --model NAME --out DIR` wrote) is measured the same way
and kept in the shipped model's evaluation.json under "reruns", so its card shows how far a model
trained from scratch by the same recipe lands from the shipped one. Reruns of another recipe are not
shown.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from reasonlab.core.runs import Run, write_atomic, write_json
from reasonlab.engines.hf import HFEngine
from reasonlab.jobs.common import config_dict
from reasonlab.jobs.evaluate import EvaluateConfig, plot_depth, run_evaluate
from reasonlab.models.think import detect_think_format
from reasonlab.tasks import create_task
from reasonlab.testbed.handles import TESTBED_DIR
from reasonlab.testbed.presets import PRESETS, preset_record
from reasonlab.testbed.ship import CARD_COMMAND, measure_command
from reasonlab.testbed.traces import CANDIDATE_LINE

ROLE = {
    "target": "the larger model: the policy that sampling methods, budgets, RL and pruning work on, and "
    "the target of speculative decoding",
    "draft": "the small draft model of reward-guided speculative decoding; weaker on purpose",
    "deep": "the target's parameter count over 18 narrow layers, for block pruning, where the target's 7 "
    "layers leave too few blocks to order",
}


def measure(model: str, num_problems: int, n: int, plot_to=None) -> dict:
    """Evaluate `model` (testbed:<name> or a folder) as the cards do; plots accuracy vs depth to plot_to."""
    cfg = EvaluateConfig(
        model=model,
        num_problems=num_problems,
        n=n,
        temperature=0.6,
        top_p=0.95,
        max_tokens=512,
        cuts=[0.25, 0.5, 0.75],
        chunk=25,
    )
    engine = HFEngine.from_pretrained(cfg.model)
    think = detect_think_format(engine.tokenizer, model_name=cfg.model)
    run_dir = "runs/testbed-eval-" + model.removeprefix("testbed:").strip("/").replace("/", "-")
    run = Run.open(run_dir, config_dict(cfg), overwrite=True)
    summary = run_evaluate(cfg, engine, create_task("arith"), think, run)
    summary["candidate_outcomes"] = candidate_outcomes(list(run.records()))
    if plot_to is not None:
        plot_depth(summary, plot_to, f"{model}: accuracy vs thinking depth")
    run.finish(summary, "")
    return {"config": config_dict(cfg), "summary": summary}


def bars(results: dict[str, dict]) -> str:
    """The testbed issue's quality bars, checked against the measurements."""
    lines = ["## Quality bars (testbed issue), as measured"]
    if "target" in results:
        t = results["target"]
        depth = t["accuracy_by_thinking_depth"]
        # "Rises" up to sampling noise: a deeper cut may sit below a shallower one by at most one
        # binomial standard error of the full-thinking accuracy over all samples.
        n = t["problems"] * t["samples_per_problem"]
        se = math.sqrt(t["pass@1"] * (1 - t["pass@1"]) / n)
        rising = all(
            depth[a]["accuracy"] <= depth[b]["accuracy"] + se for a, b in zip(list(depth), list(depth)[1:])
        )
        lines.append(
            f"- target pass@1 >= 70%: {100 * t['pass@1']:.1f}% -> {'met' if t['pass@1'] >= 0.7 else 'NOT met'}"
        )
        lines.append(
            f"- accuracy rises with thinking depth (up to one standard error, {100 * se:.1f} points) and the "
            f"25% cut is well below full thinking: {'met' if rising and depth['0.25']['accuracy'] < 0.5 * depth['1.0']['accuracy'] else 'NOT met'}"
        )
        lines.append(realism_bar(t))
    for name in results:
        minutes = json.loads((TESTBED_DIR / name / "training_log.json").read_text())["train_seconds"] / 60
        lines.append(
            f"- {name} trains in <= 45 minutes on 2 cores: {minutes:.1f} min -> {'met' if minutes <= 45 else 'NOT met'}"
        )
    if {"target", "draft"} <= results.keys():
        tp, dp = 100 * results["target"]["pass@1"], 100 * results["draft"]["pass@1"]
        ok = 30 <= dp <= tp - 15
        lines.append(
            f"- draft pass@1 in [30%, target - 15 = {tp - 15:.1f}%]: {dp:.1f}% -> {'met' if ok else 'NOT met'}"
            + ("" if ok else " (this recipe trains the draft too well; fewer steps are needed)")
        )
    return "\n".join(lines) + "\n"


# Target ranges for the realism bars (issue 15), from published analyses of R1-style models; the
# figures and their sources: docs/notes/testbed_calibration.md.
CHANGED_AT_HALF = (0.20, 0.40)  # forced answer at 50% of the thinking differs from the final one
RESCUED = (0.03, 0.10)  # trajectories with some cut right while the final answer is wrong


def realism_bar(summary: dict) -> str:
    """Issue 15's bars: how forced answers along the thinking relate to the final answer."""
    dynamics = summary.get("answer_dynamics")
    if not dynamics:
        return "- realism (issue 15): not measured for these weights (rerun this script)"
    half, rescued = dynamics["forced_differs_from_final"]["0.5"], dynamics["some_cut_right_final_wrong"]

    def verdict(value: float, band: tuple[float, float]) -> str:
        return "met" if band[0] <= value <= band[1] else "NOT met"

    return (
        f"- forced answer at 50% of the thinking differs from the final answer in {100 * half:.1f}% of the "
        f"samples; published range {100 * CHANGED_AT_HALF[0]:.0f}-{100 * CHANGED_AT_HALF[1]:.0f}% -> "
        f"{verdict(half, CHANGED_AT_HALF)}\n"
        f"- some cut (25/50/75%) is right while the final answer is wrong in {100 * rescued:.1f}% of the "
        f"samples ({100 * dynamics['problems_with_some_cut_right_final_wrong']:.1f}% of the problems); "
        f"published range {100 * RESCUED[0]:.0f}-{100 * RESCUED[1]:.0f}% of trajectories -> "
        f"{verdict(rescued, RESCUED)} (sources: docs/notes/testbed_calibration.md)"
    )


def candidate_outcomes(records: list[dict]) -> dict[str, float]:
    """From the first candidate answer in the thinking ("So the answer is N.") to the final answer:
    the shares of samples going wrong->right, right->wrong, right->right, wrong->wrong, and of
    samples with no candidate (counted in no share)."""
    counts = dict.fromkeys(
        ["wrong->right", "right->wrong", "right->right", "wrong->wrong", "no candidate"], 0
    )
    for record in records:
        for sample in record["samples"]:
            found = CANDIDATE_LINE.search(sample["text"].split("</think>")[0])
            if found is None:
                counts["no candidate"] += 1
                continue
            first = "right" if found.group(1) == record["answer"] else "wrong"
            counts[f"{first}->{'right' if sample['correct'] else 'wrong'}"] += 1
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items()}


def realism_section(summary: dict) -> str:
    """Issue 15's realism figures next to the published ones they are meant to resemble."""
    dynamics, outcomes = summary.get("answer_dynamics"), summary.get("candidate_outcomes")
    if not dynamics or not outcomes:
        return ""
    differs = " / ".join(f"{100 * v:.1f}%" for v in dynamics["forced_differs_from_final"].values())
    cuts = " / ".join(f"{float(f):.0%}" for f in dynamics["forced_differs_from_final"])
    changed = outcomes["wrong->right"] + outcomes["right->wrong"]
    return f"""
## Realism: intermediate answers against published figures (issue 15)
How the answers along the thinking relate to the final one, here and in published analyses of R1-style
models. The figures and sources are gathered in `docs/notes/testbed_calibration.md`; "S" marks a
figure read in a secondary summary, not in the paper. The two bars below are the ranges this project
targets; the other rows are context (their definitions differ from ours).

| figure | testbed | published | source |
|---|---|---|---|
| forced answer at {cuts} of the thinking differs from the final answer | {differs} | target 20-40% at 50%: answers settle after ~60% of the steps; the first candidate comes at ~50-85% of the trace | Liu & Wang arXiv 2506.02536; Kang et al. arXiv 2510.08308 (S) |
| some cut (25/50/75%) right while the final answer is wrong | {100 * dynamics["some_cut_right_final_wrong"]:.1f}% of samples, {100 * dynamics["problems_with_some_cut_right_final_wrong"]:.1f}% of problems | target 3-10% of trajectories: early exit nets +0.3 to +5.8 points; ~3 of 30 AIME24 problems are right only when exiting early | DEER arXiv 2504.15895 (+ Fig. 1, S); arXiv 2604.06613 |
| final answer differs from the first candidate | {100 * changed:.1f}% | under 10% (>90% of reflections confirm the first candidate) | arXiv 2510.08308 (S) |
| wrong -> right / right -> wrong from first candidate to final | {100 * outcomes["wrong->right"]:.1f}% / {100 * outcomes["right->wrong"]:.1f}% | small models revise right -> wrong at least as often as wrong -> right (direction only, no rates) | Zeng et al. arXiv 2502.12215 (S) |
| samples with no candidate before the end of thinking | {100 * outcomes["no candidate"]:.1f}% | - | - |
"""


def depth_accuracy(summary: dict) -> dict[str, float]:
    """Accuracy per thinking cut, without the token counts."""
    return {f: d["accuracy"] for f, d in summary["accuracy_by_thinking_depth"].items()}


def rerun_entry(folder: str, num_problems: int, n: int) -> dict:
    """Measure a retrained model folder; keeps its recipe and training time beside the figures."""
    log = json.loads((Path(folder) / "training_log.json").read_text())
    s = measure(folder, num_problems, n)["summary"]
    return {
        "folder": folder,
        "preset": log["preset"],
        "seed": log["config"]["seed"],
        "train_seconds": log["train_seconds"],
        "problems": s["problems"],
        "samples_per_problem": s["samples_per_problem"],
        "pass@1": s["pass@1"],
        "majority_accuracy": s["majority_accuracy"],
        "accuracy_by_thinking_depth": depth_accuracy(s),
    }


def recipe_differences(name: str, recorded: dict) -> list[str]:
    """The fields where a recorded recipe differs from PRESETS[name] (a field added since keeps its
    value when unrecorded)."""
    current = json.loads(json.dumps(preset_record(PRESETS[name])))  # as the logs store it
    return sorted(
        k
        for k in recorded.keys() | current.keys()
        if k not in current or recorded.get(k, current[k]) != current[k]
    )


def reruns_section(name: str, evaluation: dict) -> str:
    """Reruns of the current recipe beside the shipped model's figures (empty if there are none)."""
    reruns = [r for r in evaluation.get("reruns", []) if not recipe_differences(name, r["preset"])]
    if not reruns:
        return ""
    log = json.loads((TESTBED_DIR / name / "training_log.json").read_text())
    s = evaluation["summary"]

    def row(label: str, seconds: float, r: dict, accuracy: dict[str, float]) -> str:
        depth = " / ".join(f"{100 * a:.1f}" for a in accuracy.values())
        return (
            f"| {label} | {seconds / 60:.1f} | {100 * r['pass@1']:.1f}% | {100 * r['majority_accuracy']:.1f}% "
            f"| {depth} |"
        )

    rows = [row("shipped", log["train_seconds"], s, depth_accuracy(s))]
    rows += [
        row(f"rerun, seed {r['seed']}", r["train_seconds"], r, r["accuracy_by_thinking_depth"])
        for r in reruns
    ]
    cuts = " / ".join(f"{float(f):.0%}" for f in s["accuracy_by_thinking_depth"])
    return f"""
## Reruns of this recipe
`reasonlab testbed train --model {name}` from scratch, measured the same way. Runs share their data and
initial weights but are not bit-for-bit identical: the compiled bfloat16 CPU kernels round differently
from run to run (losses differ in the fifth digit after 10 steps), and the differences grow over training.

| run | minutes | pass@1 | majority | accuracy at {cuts} |
|---|---|---|---|---|
{chr(10).join(rows)}
"""


def averaging(preset, log: dict) -> str:
    n = log.get("weights_averaged_over_steps", 0)
    if not n:
        return ""
    return (
        f"\n- Saved weights: the mean of the weights after each of the last {n} steps (from step "
        f"{preset.average_from}, at the floor lr; stochastic weight averaging with "
        "`torch.optim.swa_utils.AveragedModel`), not the last step's, which move with every batch."
    )


def schedule(preset, steps: int) -> str:
    end = preset.cosine_steps or steps
    if end <= steps:
        return f"cosine decay to {preset.min_lr_ratio:.0%} of it at step {end} (then that floor)"
    return (
        f"a cosine decay that would reach {preset.min_lr_ratio:.0%} of it at step {end}, stopped at step {steps} "
        "(the step count that puts the model in its quality band)"
    )


def chains(steps: tuple[int, ...] | list[int]) -> str:
    return f"{steps[0]}" if len(steps) == 1 else f"{min(steps)} to {max(steps)}, taking turns,"


def card(name: str, evaluation: dict) -> str:
    folder = TESTBED_DIR / name
    log = json.loads((folder / "training_log.json").read_text())
    config = json.loads((folder / "config.json").read_text())
    preset = PRESETS[name]
    s = evaluation["summary"]
    depth = s["accuracy_by_thinking_depth"]
    rows = "\n".join(
        f"| {float(f):.0%} | {d['thinking_tokens']:.1f} | {100 * d['accuracy']:.1f}% |"
        for f, d in depth.items()
    )
    passk = ", ".join(f"pass@{k} {100 * v:.1f}%" for k, v in s["pass@k"].items())
    # `reasonlab testbed ship` marks the figures of replaced weights stale; measuring clears the mark.
    stale = f"{evaluation['stale']}\n\n" if evaluation.get("stale") else ""
    return f"""{stale}# testbed:{name}

A tiny reasoning model trained from scratch on CPU by reasonlab: {ROLE[name]}. It thinks in
steps inside `<think> ... </think>`, then answers in `\\boxed{{}}`, like DeepSeek-R1-Distill or Qwen3.

Load it with `reasonlab.load_model("testbed:{name}")` or
`AutoModelForCausalLM.from_pretrained("{folder.relative_to(folder.parents[3])}")`.
Reproduce it with `reasonlab testbed train --model {name}` (seed {log["config"]["seed"]}), which writes the
run folder `runs/testbed-{name}/`; `reasonlab testbed ship --model {name} --from runs/testbed-{name}/model`
installs a finished run here, and `python experiments/testbed_cards.py --models {name}` measures it for this card.

## Architecture
Llama, {log["parameters"] / 1e6:.2f}M parameters: hidden {config["hidden_size"]}, {config["num_hidden_layers"]} layers,
{config["num_attention_heads"]} heads ({config["num_key_value_heads"]} key/value heads), MLP {config["intermediate_size"]},
tied embeddings, character-level tokenizer of {config["vocab_size"]} tokens (printable ASCII plus chat and thinking
markers), context {config["max_position_embeddings"]}.

## Training
- Data: arith problems ({chains(preset.task_steps)} left-to-right steps over +, -, * modulo 100; task seed 1,
  evaluation uses seed 0), each turned into a reasoning trace (`{type(preset.traces).__module__}`):
  {preset.traces.describe()} {preset.traces.p_early_close:.0%} of traces are closed at a random thinking token,
  with no loss on the close marker, and answered with the best answer available at that cut (what the
  reasoning so far leads to).
- Why: a model trained only on plain chains of thought answers at random when its thinking is cut
  early. Real reasoning models reach an answer before the end of thinking and spend the rest
  verifying; fractured sampling and thinking budgets only make sense on a model that does too.
- Recipe: {log["steps"]} steps of AdamW (betas 0.9/0.95, weight decay {preset.weight_decay}), batch {preset.batch_size}
  sequences, peak lr {preset.lr} with {preset.warmup} warm-up steps and {schedule(preset, log["steps"])},
  gradient clipping 1.0, bfloat16 autocast: {log["bf16_autocast"]}; the examples of {preset.bucket} consecutive
  batches are sorted by length and dealt out in order, widths rounded up to {preset.width_multiple} tokens (less
  padding); training step compiled with `torch.compile`: {log.get("compiled", False)}.{averaging(preset, log)}
- Time: {log["train_seconds"] / 60:.1f} minutes on 2 CPU cores (this run's wall clock, including any time the
  machine spent on other work). Final batch loss {log["final_loss"]:.3f}. Loss curve: `loss_curve.png`.

## Measured (`python experiments/testbed_cards.py`)
{s["problems"]} held-out arith problems x {s["samples_per_problem"]} samples, temperature 0.6, top_p 0.95, max 512 tokens.

| metric | value |
|---|---|
| pass@1 (mean over samples) | {100 * s["pass@1"]:.1f}% |
| pass@k | {passk} |
| majority vote | {100 * s["majority_accuracy"]:.1f}% |
| tokens per sample | {s["tokens_per_sample"]:.1f} (thinking {s["thinking_tokens_per_sample"]:.1f}) |
| closed its thinking | {100 * s["closed_thinking_rate"]:.1f}% |

Accuracy with the thinking cut at a fraction of its tokens and the answer forced after `</think>`
(100% = the sample's own answer):

| thinking kept | thinking tokens | accuracy |
|---|---|---|
{rows}

![accuracy vs depth](depth.png)
{realism_section(s)}{reruns_section(name, evaluation)}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-problems", type=int, default=200)
    parser.add_argument("-n", type=int, default=4)
    parser.add_argument("--models", nargs="+", default=["target", "draft"], help="models to measure")
    parser.add_argument("--render-only", action="store_true", help="rewrite the cards from evaluation.json")
    parser.add_argument(
        "--rerun",
        nargs=2,
        metavar=("NAME", "FOLDER"),
        help="measure a retrained copy of NAME and add it to its card",
    )
    args = parser.parse_args()
    if args.rerun and args.rerun[0] not in PRESETS:
        parser.error(f"--rerun: unknown testbed model {args.rerun[0]!r} (choose from {', '.join(PRESETS)})")
    if args.rerun and not (Path(args.rerun[1]) / "training_log.json").exists():
        parser.error(f"--rerun: {args.rerun[1]} has no training_log.json (not a folder testbed train wrote)")
    evaluations = {}
    # shipped arith models (not the candidate recipes, nor testbed:logic, which logic_card.py measures)
    shipped = [n for n in PRESETS if (TESTBED_DIR / n).is_dir() and measure_command(n) == CARD_COMMAND + n]
    for name in shipped:  # a card describes PRESETS[name]: refuse before minutes of measuring
        log_path = TESTBED_DIR / name / "training_log.json"
        if differences := recipe_differences(name, json.loads(log_path.read_text())["preset"]):
            parser.error(
                f"testbed:{name}: the shipped weights were trained on another recipe than PRESETS[{name!r}] "
                f"({', '.join(differences)} differ in {log_path}); ship a model of this recipe first"
            )
    for name in shipped:  # a model not measured now keeps its last evaluation.json
        path = TESTBED_DIR / name / "evaluation.json"
        last = json.loads(path.read_text()) if path.exists() else {}
        changed = not (args.render_only or args.rerun or name not in args.models)
        if not changed:
            evaluations[name] = last
        else:
            measured = measure(f"testbed:{name}", args.num_problems, args.n, TESTBED_DIR / name / "depth.png")
            evaluations[name] = {**measured, "reruns": last.get("reruns", [])}
        if args.rerun and args.rerun[0] == name:
            reruns = [r for r in last.get("reruns", []) if r["folder"] != args.rerun[1]]
            evaluations[name]["reruns"] = [*reruns, rerun_entry(args.rerun[1], args.num_problems, args.n)]
            changed = True
        if changed:
            write_json(path, evaluations[name])
    results = {name: e["summary"] for name, e in evaluations.items()}
    for name, evaluation in evaluations.items():
        write_atomic(TESTBED_DIR / name / "README.md", card(name, evaluation) + "\n" + bars(results))
    for name, s in results.items():
        depth = {f: round(100 * a, 1) for f, a in depth_accuracy(s).items()}
        print(
            f"testbed:{name}: pass@1 {100 * s['pass@1']:.1f}%, majority {100 * s['majority_accuracy']:.1f}%, "
            f"accuracy by thinking kept {depth}"
        )
    if {"target", "draft"} <= results.keys():
        t, d = 100 * results["target"]["pass@1"], 100 * results["draft"]["pass@1"]
        print(
            f"bars: target pass@1 {t:.1f}% >= 70: {t >= 70}; draft {d:.1f}% in [30, target-15={t - 15:.1f}]: "
            f"{30 <= d <= t - 15}"
        )


if __name__ == "__main__":
    main()
