"""Train a PRM: a policy's backbone with a fresh value head, BCE on the step labels.

As Skywork's and Qwen's PRMs start from a math LM, the testbed PRM starts from a testbed model's
backbone (its language-model head dropped) and learns a value head at each step separator. The
loss is the binary cross-entropy of every labelled step of the batch (mean over steps), on the
shared training loop: timed checkpoints, resume, metrics JSONL, progress bar.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import torch

from reasonlab.core.errors import ReasonlabError
from reasonlab.prm.config import NOT_RECIPE, PRMTrainConfig
from reasonlab.prm.data import StepSample
from reasonlab.rewards.prm import PRMLayout, ProcessRewardModel, load_backbone
from reasonlab.training.checkpoint import load_checkpoint, save_checkpoint
from reasonlab.training.loop import run_steps
from reasonlab.training.schedule import WarmupCosine, set_lr


def build_prm(cfg: PRMTrainConfig) -> ProcessRewardModel:
    """The init model's backbone and tokenizer (its language-model head dropped), with a new head
    (seeded)."""
    from reasonlab.models.loading import resolve_model_path

    folder = resolve_model_path(cfg.init)
    if folder is None:
        raise ReasonlabError(f"--init {cfg.init}: give a model folder or a trained testbed handle")
    backbone, tokenizer = load_backbone(folder)
    torch.manual_seed(cfg.seed)
    return ProcessRewardModel(
        backbone, tokenizer, PRMLayout(head=cfg.head, step_separator=cfg.step_separator)
    )


class PRMBatches:
    """Batches of step samples drawn with a seed per step: a resumed run sees the same batches."""

    def __init__(self, prm: ProcessRewardModel, samples: list[StepSample], batch_size: int, seed: int):
        self.batch_size, self.seed = batch_size, seed
        self.encoded = [
            (prm.prompt_ids(s.question), *prm.encode_steps(s.steps), [float(x) for x in s.labels])
            for s in samples
        ]

    def __call__(self, step: int):
        rng = random.Random(f"prm:{self.seed}:{step}")
        rows = [self.encoded[rng.randrange(len(self.encoded))] for _ in range(self.batch_size)]
        prompts, completions, ends, labels = (list(x) for x in zip(*rows))
        return prompts, completions, ends, torch.tensor([v for row in labels for v in row])


def train_prm(
    cfg: PRMTrainConfig,
    samples: list[StepSample],
    work: Path,
    progress: bool = True,
    say: Callable[[str], None] = print,
) -> tuple[ProcessRewardModel, list[dict], float]:
    """Train (or resume from `work`/checkpoint.pt); returns the PRM, the per-step history and the
    training seconds (resumed sessions included)."""
    prm = build_prm(cfg.validate())
    prm.train()
    optimizer = torch.optim.AdamW(prm.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    schedule = WarmupCosine(cfg.learning_rate, cfg.warmup_steps, cfg.steps)
    recipe = {k: v for k, v in asdict(cfg).items() if k not in NOT_RECIPE}
    ckpt = work / "checkpoint.pt"
    saved = load_checkpoint(ckpt, {"recipe": recipe}, hint="pass another --out")
    history, start, seconds = [], 0, 0.0
    if saved is not None:
        prm.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        history, start, seconds = saved["history"], saved["step"], saved["seconds"]
        say(f"resuming from step {start} of {cfg.steps}")
    batches = PRMBatches(prm, samples, cfg.batch_size, cfg.seed)
    bce = torch.nn.BCEWithLogitsLoss()

    def one_step(step: int) -> dict[str, float]:
        set_lr(optimizer, schedule(step))
        prompts, completions, ends, labels = batches(step)
        log_odds = torch.cat(prm.step_log_odds(prompts, completions, ends))
        loss = bce(log_odds, labels.to(log_odds.device))
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(prm.parameters(), cfg.max_grad_norm)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        accuracy = ((log_odds.detach() > 0).float() == labels).float().mean().item()
        return {
            "loss": loss.item(),
            "step_accuracy": accuracy,
            "grad_norm": float(grad_norm),
            "lr": schedule(step),
        }

    def state(step: int, secs: float) -> dict:
        return {
            "recipe": recipe,
            "model": prm.state_dict(),
            "optimizer": optimizer.state_dict(),
            "step": step,
            "history": history,
            "seconds": secs,
        }

    seconds = run_steps(
        start,
        cfg.steps,
        one_step,
        history=history,
        metrics_path=work / "metrics.jsonl",
        save=lambda step, secs: save_checkpoint(ckpt, state(step, secs)),
        checkpoint_every_s=cfg.checkpoint_every_s,
        seconds_before=seconds,
        log_every=10,
        label="prm train",
        progress=progress,
    )
    save_checkpoint(ckpt, state(cfg.steps, seconds))
    return prm.eval(), history, seconds
