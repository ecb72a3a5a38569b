"""Train a testbed model from scratch on arith reasoning traces, on CPU, resumably.

The examples of each group of `bucket` batches come from fixed arith problems of the training seed
and an rng seeded by (seed, group), so a resumed run sees exactly the data the uninterrupted run
would have. A checkpoint (model, optimizer, step, loss history) is written atomically every
`checkpoint_every_s` seconds.

Training writes a run folder (checkpoints, logs and the model, by default runs/testbed-<model>/model)
and never the package: installing a model as a shipped one is `reasonlab.testbed.ship`'s job.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch.optim.swa_utils import AveragedModel
from transformers import LlamaForCausalLM

from reasonlab.core.errors import ReasonlabError
from reasonlab.core.runs import write_json
from reasonlab.models.loading import chat_prompt_ids
from reasonlab.tasks import create_task
from reasonlab.tasks.base import Problem, Task
from reasonlab.testbed.config import TrainConfig
from reasonlab.testbed.handles import TESTBED_DIR
from reasonlab.testbed.presets import TestbedPreset, init_folder, preset_record
from reasonlab.testbed.random_model import random_llama_config
from reasonlab.testbed.tokenizer import build_tokenizer
from reasonlab.testbed.traces import build_example
from reasonlab.training.checkpoint import load_checkpoint, save_checkpoint
from reasonlab.training.distributed import DataParallel
from reasonlab.training.loop import run_steps
from reasonlab.training.model_folder import save_model_folder
from reasonlab.training.schedule import WarmupCosine, set_lr

TRAIN_TASK_SEED = 1  # evaluation uses the default arith seed 0
MAX_POSITIONS = 1024  # the models' positions; longer examples are cut there, as SFT trainers do


def schedule(preset: TestbedPreset, total: int) -> WarmupCosine:
    """Linear warm-up, cosine decay to min_lr_ratio of the peak at `cosine_steps` (default: the
    end), then the floor. With `cosine_steps` set, the schedule does not depend on `total`, so a run
    stopped early is exactly the prefix of a longer one (which is how the step counts were chosen)."""
    return WarmupCosine(preset.lr, preset.warmup, preset.cosine_steps or total, preset.min_lr_ratio)


def lr_at(step: int, preset: TestbedPreset, total: int) -> float:
    return schedule(preset, total)(step)


class MixedTask:
    """Problems of several tasks taking turns (problem i comes from tasks[i % len]), so a recipe can
    train on easy and hard problems alike, or on several tasks; `traces[k]` (None: the recipe's)
    is what task k's problems are written as."""

    def __init__(self, tasks: list, traces: list | None = None):
        self.tasks = tasks
        self.traces = traces or [None] * len(tasks)

    def __len__(self) -> int:
        return min(len(t) for t in self.tasks) * len(self.tasks)

    def problem(self, i: int) -> Problem:
        return self.entry(i)[0]

    def entry(self, i: int) -> tuple[Problem, Task, object | None]:
        """Problem i, its task and its traces (None: the recipe's own)."""
        k = i % len(self.tasks)
        return self.tasks[k].problem(i // len(self.tasks)), self.tasks[k], self.traces[k]


def training_task(preset: TestbedPreset):
    """The problems a recipe trains on: its mixture of tasks when it has one, else arith of
    preset.task_steps steps (4: the task's default)."""
    if preset.mixture:
        tasks = [create_task(e.task, seed=TRAIN_TASK_SEED, **dict(e.options)) for e in preset.mixture]
        return MixedTask(tasks, [e.traces for e in preset.mixture])
    # One seed per length (4 keeps the original one), so problems of different lengths do not share
    # their first steps; none is the evaluation seed 0.
    seeds = {s: TRAIN_TASK_SEED if s == 4 else 100 * TRAIN_TASK_SEED + s for s in preset.task_steps}
    tasks = [create_task("arith", seed=seeds[s], steps=s) for s in preset.task_steps]
    return tasks[0] if len(tasks) == 1 else MixedTask(tasks)


class BatchStream:
    """The training batches of one recipe and seed, by step.

    Examples of steps [bg, bg+b) (b = preset.bucket) are built together (rng seeded by seed and g),
    sorted by length and dealt out in order, so each batch holds similar lengths and the data depends
    only on `step`. The last group's sorted pool is kept, so consecutive steps build it once.
    """

    def __init__(self, preset: TestbedPreset, seed: int, tokenizer, task, close_id: int):
        self.preset = preset
        self.seed = seed
        self.tokenizer = tokenizer
        self.task = task if isinstance(task, MixedTask) else MixedTask([task])
        self.close_id = close_id
        self._group, self._pool = None, []

    def _sorted_pool(self, group: int) -> list:
        if group != self._group:
            size = self.preset.batch_size * self.preset.bucket
            rng = random.Random(f"testbed:{self.seed}:{group}")
            pool = []
            for j in range(size):
                problem, task, traces = self.task.entry((group * size + j) % len(self.task))
                prompt = chat_prompt_ids(self.tokenizer, problem.question)
                traces = traces or self.preset.traces
                example = build_example(
                    problem, self.tokenizer, prompt, self.close_id, rng, traces, task=task
                )
                # Arith traces stay under 700 tokens; 2% of deduction level 2 solutions do not.
                example.ids, example.loss_mask = (
                    example.ids[:MAX_POSITIONS],
                    example.loss_mask[:MAX_POSITIONS],
                )
                pool.append(example)
            pool.sort(key=lambda e: len(e.ids))
            self._group, self._pool = group, pool
        return self._pool

    def batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(input_ids, labels) for batch `step`, right-padded; labels are -100 where there is no loss."""
        preset = self.preset
        k = step % preset.bucket
        examples = self._sorted_pool(step // preset.bucket)[
            k * preset.batch_size : (k + 1) * preset.batch_size
        ]
        # Few distinct widths: CPU kernels (oneDNN) are built per shape, and new shapes are slow.
        width = -(-max(len(e.ids) for e in examples) // preset.width_multiple) * preset.width_multiple
        ids = torch.full((len(examples), width), self.tokenizer.pad_token_id, dtype=torch.long)
        labels = torch.full_like(ids, -100)
        for row, e in enumerate(examples):
            row_ids, mask = torch.tensor(e.ids), torch.tensor(e.loss_mask)
            ids[row, : len(e.ids)] = row_ids
            labels[row, : len(e.ids)] = torch.where(mask.bool(), row_ids, -100)
        return ids, labels


def make_batch(step: int, preset: TestbedPreset, seed: int, tokenizer, task, close_id: int):
    """Batch `step` on its own (see BatchStream, which training uses to build each pool once)."""
    return BatchStream(preset, seed, tokenizer, task, close_id).batch(step)


def build_model(preset: TestbedPreset, tokenizer, seed: int) -> LlamaForCausalLM:
    """A fresh model of the preset's shape, or the shipped model `preset.init` for fine-tuning."""
    if preset.init is not None:
        return LlamaForCausalLM.from_pretrained(init_folder(preset), dtype=torch.float32)
    config = random_llama_config(
        len(tokenizer),
        hidden=preset.hidden,
        layers=preset.layers,
        heads=preset.heads,
        kv_heads=preset.kv_heads,
        max_positions=MAX_POSITIONS,
    )
    config.pad_token_id, config.eos_token_id = tokenizer.pad_token_id, tokenizer.eos_token_id
    config.bos_token_id = None
    torch.manual_seed(seed)
    return LlamaForCausalLM(config)


def bf16_by_default() -> bool:
    """bfloat16 autocast pays off only where the CPU has bfloat16 matmul units (AVX-512 or AMX)."""
    return torch.backends.cpu.get_cpu_capability() in ("AVX512", "AMX")


def build_optimizer(model: LlamaForCausalLM, preset: TestbedPreset) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices only (not on norms), as the recipe trains."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": preset.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=preset.lr,
        betas=(0.9, 0.95),
    )


def checkpoint_state(
    model, optimizer, averaged, step: int, history: list, seconds: float, state: dict
) -> dict:
    """What a testbed checkpoint holds (its keys are fixed: tests/testbed/test_train.py)."""
    return {
        "preset": state["preset"],
        "seed": state["config"]["seed"],
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "averaged": averaged.state_dict() if averaged is not None else None,
        "step": step,
        "history": history,
        "seconds": seconds,
    }


def check_model_out(out: Path, work: Path, overwrite: bool) -> None:
    """Refuse a model folder that would replace a shipped model, a finished model (without
    --overwrite), a folder training did not write, or the checkpoints; checked before training."""
    if out.resolve().is_relative_to(TESTBED_DIR.resolve()):
        raise ReasonlabError(
            f"--out {out} is inside the shipped models ({TESTBED_DIR}); train into a run folder and "
            "install the result with `reasonlab testbed ship`"
        )
    if work.resolve().is_relative_to(out.resolve()):
        raise ReasonlabError(f"--out {out} would hold the checkpoints of --work-dir {work}; choose another")
    if not out.exists() or (out.is_dir() and not any(out.iterdir())):
        return
    if not (out / "training_log.json").is_file():
        raise ReasonlabError(
            f"--out {out} exists and is not a model folder testbed train wrote; not replacing it"
        )
    if not overwrite:
        raise ReasonlabError(f"model folder {out} already exists (pass --overwrite to replace it)")


def train(
    cfg: TrainConfig, progress: bool = True, overwrite: bool = False, say: Callable[[str], None] | None = None
) -> Path:
    """Train (or resume from the work dir's checkpoint) and save the model with save_pretrained into
    the model folder; returns it. `say` receives one-line notes (resuming)."""
    cfg.validate()
    preset, total = cfg.preset(), cfg.total_steps()
    out, work = cfg.out_path(), cfg.work_path()
    check_model_out(out, work, overwrite)
    dp = DataParallel.from_env()
    bf16 = cfg.bf16 if cfg.bf16 is not None else bf16_by_default()
    tokenizer = build_tokenizer()
    close_id = tokenizer.convert_tokens_to_ids("</think>")
    task = training_task(preset)
    model = build_model(preset, tokenizer, cfg.seed)
    optimizer = build_optimizer(model, preset)
    state = {"config": dataclasses.asdict(cfg), "preset": preset_record(preset), "steps": total}
    ckpt, history, start, spent = work / "checkpoint.pt", [], 0, 0.0
    saved = load_checkpoint(ckpt, {"preset": state["preset"], "seed": cfg.seed})
    if saved is not None:
        if saved["step"] > total:
            raise ReasonlabError(
                f"{ckpt} is at step {saved['step']}, past --steps {total}; pass at least that many "
                "or another --work-dir"
            )
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        start, history, spent = saved["step"], saved["history"], saved["seconds"]
        if say is not None and dp.is_main:
            say(f"resuming from step {start} of {total} ({ckpt})")
    # Uniform average of the weights after each step from preset.average_from on (SWA); it is what
    # gets saved. The checkpoint keeps both it and the last iterate.
    averaged = AveragedModel(model) if preset.average_from is not None else None
    if averaged is not None and saved is not None and saved.get("averaged") is not None:
        averaged.load_state_dict(saved["averaged"])
    if dp.is_main:
        write_json(work / "train_config.json", state)
    model.train()
    forward_backward = make_train_step(model, bf16, cfg.compile)
    batches = BatchStream(preset, cfg.seed, tokenizer, task, close_id)
    lr = schedule(preset, total)
    tokens, t0 = 0, time.perf_counter()

    def one_step(step: int) -> dict[str, float]:
        nonlocal tokens
        set_lr(optimizer, lr(step))
        ids, labels = batches.batch(step)
        weight = 1.0
        if dp.world > 1:  # this process's rows, weighted by their share of the trained tokens
            rows = dp.rows(ids.shape[0])
            weight = trained_tokens(labels[rows]) / trained_tokens(labels)
            ids, labels = ids[rows], labels[rows]
        loss = forward_backward(ids, labels)
        dp.reduce_gradients(model, weight)
        loss = torch.tensor(dp.sum(loss.item() * weight)) if dp.world > 1 else loss
        apply_update(model, optimizer)
        if averaged is not None and step + 1 > preset.average_from:
            averaged.update_parameters(model)
        tokens += ids.numel()
        return {"loss": loss.item(), "lr": optimizer.param_groups[0]["lr"]}

    def save(step: int, seconds: float) -> None:
        save_checkpoint(ckpt, checkpoint_state(model, optimizer, averaged, step, history, seconds, state))

    seconds = run_steps(
        start,
        total,
        one_step,
        history=history,
        metrics_path=work / "log.jsonl",
        save=save,
        checkpoint_every_s=cfg.checkpoint_every_s,
        seconds_before=spent,
        label=f"training {cfg.model}",
        progress=progress,
        writes=dp.is_main,
    )
    final = averaged.module if averaged is not None and averaged.n_averaged > 0 else model
    final.eval()
    log = {
        **state,
        "train_seconds": seconds,
        "final_loss": history[-1]["loss"] if history else None,
        "tokens_per_second_this_session": tokens / max(1e-9, time.perf_counter() - t0),
        "parameters": sum(p.numel() for p in model.parameters()),
        "bf16_autocast": bf16,
        "compiled": cfg.compile,
        "weights_averaged_over_steps": int(averaged.n_averaged) if averaged is not None else 0,
    }
    log["history"] = history[:: max(1, len(history) // 400)]

    def extras(folder: Path) -> None:
        write_json(folder / "training_log.json", log)
        plot_loss(history, folder / "loss_curve.png", cfg.model, preset.average_from)

    if dp.is_main:
        save_model_folder(final, tokenizer, out, extras)
        save(total, seconds)
    return out


def make_train_step(
    model: LlamaForCausalLM, bf16: bool, compile_: bool
) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """loss.backward() for one batch, returning the loss; compiled with dynamic shapes, since batch
    widths vary, so one graph serves every width after the first step's compile (~1 minute)."""

    def step(ids: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        return loss.detach()

    return torch.compile(step, dynamic=True) if compile_ else step


def trained_tokens(labels: torch.Tensor) -> int:
    """Tokens the loss is taken over (labels shift by one inside the model; -100 is masked)."""
    return int((labels[:, 1:] != -100).sum())


def apply_update(model: LlamaForCausalLM, optimizer: torch.optim.Optimizer) -> None:
    """Clip the gradient norm to 1, step, clear the gradients."""
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def plot_loss(history: list[dict], path: Path, name: str, average_from: int | None = None) -> None:
    from reasonlab.core.plots import new_figure, save_figure

    fig, ax = new_figure()
    steps = [h["step"] for h in history]
    losses = [h["loss"] for h in history]
    ax.plot(steps, losses, lw=0.6, alpha=0.5, label="batch loss")
    window = 25
    if len(losses) > window:
        smooth = [sum(losses[i - window : i]) / window for i in range(window, len(losses) + 1)]
        ax.plot(steps[window - 1 :], smooth, lw=1.5, label=f"mean of {window}")
    if average_from is not None and steps and steps[-1] > average_from:
        ax.axvline(average_from, color="gray", ls="--", lw=1, label="saved weights: mean from here")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (trained tokens)")
    ax.set_title(f"testbed:{name}")
    ax.legend(loc="lower left")
    save_figure(fig, path)
