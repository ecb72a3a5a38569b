"""`reasonlab rl train` as a job: load the policy, train it in a run folder, save it, plot it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from reasonlab.core.errors import ReasonlabError
from reasonlab.core.runs import Run, open_run, recorded_input_change, same_recipe
from reasonlab.jobs.common import config_dict
from reasonlab.rewards import Reward
from reasonlab.rl.config import NOT_RECIPE, RLConfig
from reasonlab.tasks.base import Task
from reasonlab.training.distributed import DataParallel

CURVES = [
    "reward",
    "accuracy",
    "kl",
    "entropy",
    "response_length",
    "filtered",
    "zero_advantage",
    "clip_fraction",
    "loss",
]


def _nanmean(values: list[float]) -> float:
    """Mean of the finite values (a step that trained on nothing logs NaN KL and entropy)."""
    kept = [v for v in values if v == v]
    return sum(kept) / len(kept) if kept else float("nan")


def run_rl(
    cfg: RLConfig,
    task: Task,
    run: Run,
    reward: Reward | None = None,
    progress: bool = True,
    say: Callable[[str], None] = print,
    dp: DataParallel | None = None,
) -> dict | None:
    """Train (or resume) in `run`; the policy lands in <run>/model, a Hugging Face folder every other
    command loads. Returns the summary written to summary.json (None on a data-parallel process
    other than the main one, which writes nothing)."""
    import os

    import torch

    from reasonlab.engines import create_engine
    from reasonlab.engines.hf import HFEngine
    from reasonlab.models.loading import load_model
    from reasonlab.models.think import detect_think_format
    from reasonlab.rl.trainer import RLTrainer, default_reward, train
    from reasonlab.training.model_folder import save_model_folder
    from reasonlab.training.plots import plot_metrics

    dp = dp or DataParallel()
    torch.manual_seed(cfg.seed)
    model, tokenizer = load_model(
        cfg.model, device=dp.place(cfg.device), dtype="float32" if cfg.dtype == "auto" else cfg.dtype
    )
    if cfg.engine == "vllm":  # weight sync reaches the model only in an in-process engine (as TRL's colocate)
        os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
    engine = HFEngine(model, tokenizer) if cfg.engine == "hf" else create_engine(cfg.engine, cfg.model)
    think = detect_think_format(tokenizer, cfg.think_open, cfg.think_close, model_name=cfg.model)
    if cfg.budget is not None:
        think.require("a budget-constrained rollout (--budget)")
    trainer = RLTrainer(
        cfg, model, tokenizer, engine, think, task, reward or default_reward(cfg, task, think), dp
    )
    result = train(trainer, run, progress=progress, say=say)
    if not dp.is_main:
        return None
    save_model_folder(model, tokenizer, run.path("model"))
    run.path("checkpoint.pt").unlink(
        missing_ok=True
    )  # the finished policy is in model/; the optimizer state goes
    history = result["history"]
    plot_metrics(history, CURVES, run.path("curves.png"), f"{cfg.algo}: {cfg.model}")
    last = history[-10:]
    return {
        "algo": cfg.algo,
        "steps": cfg.steps,
        "seconds": result["seconds"],
        "final": {k: _nanmean([h[k] for h in last]) for k in CURVES if all(k in h for h in last)},
        "nan_rewards": trainer.nan_rewards,
        "skipped_steps": sum(h.get("skipped", 0) for h in history),
        "seconds_per_step": {
            part: sum(h.get(f"seconds_{part}", 0.0) for h in history) / len(history)
            for part in ("rollout", "scoring", "update")
        },
    }


def starting_weights(cfg: RLConfig) -> dict[str, str | None]:
    """The run's input by role: the starting model's folder, fingerprinted so that a resume or a
    reuse on other weights (a retrained testbed model, say) is refused (None for testbed:random)."""
    from reasonlab.models.loading import resolve_model_path

    return {"model": resolve_model_path(cfg.model)}


def train_in_folder(
    cfg: RLConfig, task: Task, folder: Path, progress: bool = True, reward: Reward | None = None
) -> tuple[dict, list[dict]]:
    """Train into `folder`, resume the run there, or reuse it when it is a finished run of the same
    recipe (how experiments chain runs); returns the summary and the per-step metrics."""
    folder = Path(folder)
    if (folder / "summary.json").exists():
        if not same_recipe(folder, config_dict(cfg), NOT_RECIPE):
            raise ReasonlabError(
                f"{folder} holds an RL run of other settings: use another folder or remove it"
            )
        if change := recorded_input_change(folder, starting_weights(cfg)):
            raise ReasonlabError(f"{folder} was trained from other starting weights: {change}")
    else:
        with open_run(
            "rl", config_dict(cfg), out=folder, inputs=starting_weights(cfg), volatile=NOT_RECIPE
        ) as run:
            summary = run_rl(cfg, task, run, reward=reward, progress=progress)
            run.finish(summary, report_markdown(cfg, summary))
    summary = json.loads((folder / "summary.json").read_text())
    history = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    return summary, history


def final_line(summary: dict) -> str:
    """The last-10-steps means, as the report and the command print them."""
    return ", ".join(f"{k} {v:.3f}" for k, v in summary["final"].items())


def report_markdown(cfg: RLConfig, summary: dict) -> str:
    final = final_line(summary)
    return (
        f"# RL: {cfg.algo} on {cfg.model}\n\n"
        f"{cfg.steps} steps x {cfg.prompts_per_step} prompts x {cfg.num_generations} responses, "
        f"lr {cfg.learning_rate}, beta {cfg.beta} ({cfg.kl_estimator}), clip {cfg.epsilon}/{cfg.clip_high}, "
        f"{cfg.loss_type}" + (f", budget {cfg.budget}" if cfg.budget else "") + ".\n\n"
        f"Mean of the last 10 steps: {final}.\n\n"
        f"Training curves: `curves.png`; per-step metrics: `metrics.jsonl`; policy: `model/`.\n"
    )
