"""`reasonlab prm data` and `reasonlab prm train` as jobs in run folders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from reasonlab.core.runs import Run
from reasonlab.prm.config import PRMDataConfig, PRMTrainConfig
from reasonlab.prm.data import StepSample, as_outcome, question_negatives, read_samples, write_samples

STEPS_FILE = "steps.jsonl"  # the step samples a finished `prm data` run holds, one per line
BATCH_PROBLEMS = 16  # problems decoded together; samples do not depend on it (per-request seeds)


def policy_weights(cfg: PRMDataConfig) -> dict[str, Path | None]:
    """The sampling policies' model folders by role ("model testbed:draft"), fingerprinted into the
    run so that resuming after a policy was retrained refuses instead of mixing two policies' steps."""
    from reasonlab.models.loading import resolve_model_path

    return {f"model {name}": resolve_model_path(name) for name in cfg.model_list()}


def run_prm_data(cfg: PRMDataConfig, run: Run, progress: bool = True) -> dict:
    """Sample and label; one record per (policy, problem), so an interrupted run resumes. Writes
    steps.jsonl (one step sample per line) and returns the summary."""
    from reasonlab.core.progress import progress_bar
    from reasonlab.jobs.common import load_task
    from reasonlab.prm.data import StepSampler, label_testbed_steps
    from reasonlab.tasks import create_task

    task = load_task(cfg) if cfg.dataset else create_task("arith", seed=cfg.task_seed)
    problems = [task.problem(i) for i in range(min(cfg.num_problems, len(task)))]
    models = cfg.model_list()
    with progress_bar(len(models) * len(problems), "prm data", enabled=progress) as advance:
        for model in models:
            todo = [p for p in problems if run.done(f"{model}|{p.id}") is None]
            advance(len(problems) - len(todo))
            if not todo:
                continue
            label = label_testbed_steps if cfg.labels == "exact" else None  # None: Monte-Carlo
            sampler = StepSampler(model, task, label, cfg.rollouts, cfg.max_tokens, cfg.seed)
            for start in range(0, len(todo), BATCH_PROBLEMS):
                chunk = todo[start : start + BATCH_PROBLEMS]
                batches = sampler.sample(chunk, cfg.n, cfg.temperature, cfg.max_tokens, cfg.seed)
                for problem, samples in zip(chunk, batches):
                    run.add({"id": f"{model}|{problem.id}", "samples": [asdict(s) for s in samples]})
                advance(len(chunk))
    samples = [StepSample(**s) for record in run.records() for s in record["samples"]]
    write_samples(run.path(STEPS_FILE), samples)
    return data_summary(samples)


def run_config(steps_file: str) -> dict:
    """The settings of the `prm data` run that wrote `steps_file` ({} for a file made otherwise)."""
    import json

    path = Path(steps_file).with_name("config.json")
    try:
        return {k: v for k, v in json.loads(path.read_text()).items() if k != "inputs"}
    except (OSError, ValueError):
        return {}


def data_summary(samples: list[StepSample]) -> dict:
    def figures(rows: list[StepSample]) -> dict:
        steps = [label for s in rows for label in s.labels]
        return {
            "solutions": len(rows),
            "steps": len(steps),
            "wrong_step_share": round(1 - sum(steps) / max(1, len(steps)), 4),
            "solutions_with_a_wrong_step": round(sum(not all(s.labels) for s in rows) / max(1, len(rows)), 4),
            "final_answer_accuracy": round(sum(s.correct for s in rows) / max(1, len(rows)), 4),
        }

    sources = sorted({s.source for s in samples})
    return {
        **figures(samples),
        "by_policy": {m: figures([s for s in samples if s.source == m]) for m in sources},
    }


def evaluate_prm(prm, samples: list[StepSample], batch_size: int = 16) -> dict:
    """On held-out samples: step AUROC, ProcessBench F1 (threshold 0.5), outcome AUROC (the last
    step's score against the final answer), and best-of-N within each (problem, policy) group of
    solutions: the PRM's pick (by its last and by its lowest step score) against a random pick
    (the group's mean accuracy) and the oracle (any right)."""
    from reasonlab.prm.metrics import auroc, processbench_f1
    from reasonlab.rewards.prm import aggregate_steps

    scores = prm.score_steps_batch([s.question for s in samples], [s.steps for s in samples], batch_size)
    flat_scores = [x for row in scores for x in row]
    flat_labels = [y for s in samples for y in s.labels]
    groups: dict[tuple[str, str], list[int]] = {}
    for i, s in enumerate(samples):
        groups.setdefault((s.problem_id, s.source), []).append(i)
    groups = {k: v for k, v in groups.items() if len(v) > 1}
    picks = {"prm_last": [], "prm_min": [], "random": [], "oracle": []}
    for rows in groups.values():
        for how in ("last", "min"):
            best = max(rows, key=lambda i: aggregate_steps(scores[i], how))
            picks[f"prm_{how}"].append(samples[best].correct)
        picks["random"].append(sum(samples[i].correct for i in rows) / len(rows))
        picks["oracle"].append(any(samples[i].correct for i in rows))
    return {
        "solutions": len(samples),
        "steps": len(flat_labels),
        "step_auroc": auroc(flat_scores, flat_labels),
        "processbench": processbench_f1(scores, [s.labels for s in samples]),
        "outcome_auroc": auroc([row[-1] for row in scores], [s.correct for s in samples]),
        "best_of_group": {
            "groups": len(groups),
            "group_size": sum(map(len, groups.values())) / max(1, len(groups)),
            **{k: sum(v) / len(v) if v else float("nan") for k, v in picks.items()},
        },
    }


def run_prm_train(
    cfg: PRMTrainConfig, run: Run, progress: bool = True, say: Callable[[str], None] = print
) -> dict:
    """Train (or resume) in `run`; the PRM lands in <run>/model (loadable by load_prm and
    --prm). With eval data, the summary holds its step AUROC and ProcessBench F1."""
    from reasonlab.core.runs import write_json
    from reasonlab.jobs.common import config_dict
    from reasonlab.prm.train import train_prm
    from reasonlab.training.model_folder import save_model_folder
    from reasonlab.training.plots import plot_metrics

    samples = read_samples(cfg.data)
    held_out = read_samples(cfg.eval_data) if cfg.eval_data else None
    samples = samples + question_negatives(samples, cfg.question_negatives, cfg.seed)
    if cfg.outcome:  # an ORM: one step per solution, its final answer's label
        samples = [as_outcome(s, cfg.step_separator) for s in samples]
        held_out = [as_outcome(s, cfg.step_separator) for s in held_out] if held_out else None
    prm, history, seconds = train_prm(cfg, samples, run.partial, progress=progress, say=say)
    log = {
        "kind": "orm" if cfg.outcome else "prm",
        "config": config_dict(cfg),
        "steps": cfg.steps,
        "train_seconds": seconds,
        "parameters": sum(p.numel() for p in prm.parameters()),
        "data": data_summary(samples),
        "data_config": run_config(cfg.data),
        "history": history[:: max(1, len(history) // 400)],
    }
    save_model_folder(
        prm, prm.tokenizer, run.path("model"), lambda f: write_json(f / "training_log.json", log)
    )
    run.path("checkpoint.pt").unlink(missing_ok=True)  # the PRM is in model/; the optimizer state goes
    plot_metrics(history, ["loss", "step_accuracy"], run.path("curves.png"), f"PRM on {Path(cfg.data).name}")
    last = history[-10:]
    summary = {
        "steps": cfg.steps,
        "train_seconds": seconds,
        "train": log["data"],
        "final_loss": sum(h["loss"] for h in last) / len(last),
    }
    if held_out is not None:
        summary["eval"] = evaluate_prm(prm, held_out)
    return summary
