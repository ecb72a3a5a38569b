"""Train a recommender with early stopping on validation NDCG@10, resumably, through accelerate.

The loop is written for `accelerate` (prepare, backward), so `accelerate launch` runs it with DDP
without code changes. After every epoch a checkpoint (model, optimizer, best weights, history,
patience) is written atomically; rerunning the same command resumes after the last full epoch,
whose batches are a function of (seed, epoch) only.
"""

from __future__ import annotations

import dataclasses
import io
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from reasonlab.core.progress import progress_bar
from reasonlab.core.runs import write_atomic
from reasonlab.recsys.batches import Batch, BatchSampler, warm_overlap
from reasonlab.recsys.config import FitConfig
from reasonlab.recsys.curriculum import overlap_curriculum
from reasonlab.recsys.data import CrossDomainData
from reasonlab.recsys.evaluation import evaluate_target
from reasonlab.recsys.models import USES_CURRICULUM, Recommender, build_model

VALID_METRIC = "ndcg@10"


@dataclass
class FitResult:
    model: Recommender
    history: list[dict[str, float]]
    best_epoch: int
    test: dict[str, float]
    notes: list[str]
    seconds_per_epoch: float


def _to(batch: Batch, device: torch.device) -> Batch:
    return Batch(**{f.name: getattr(batch, f.name).to(device) for f in dataclasses.fields(Batch)})


def _checkpoint_bytes(state: dict[str, Any]) -> bytes:
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


def fit(
    data: CrossDomainData,
    cfg: FitConfig,
    checkpoint: Path | None = None,
    progress: bool = True,
) -> FitResult:
    """Train `cfg.model` on the target training split (and the source domain), keep the weights
    with the best validation NDCG@10, and evaluate them on the test split."""
    from accelerate import Accelerator
    from accelerate.utils import DistributedDataParallelKwargs

    cfg.validate()
    torch.manual_seed(cfg.seed)
    model = build_model(cfg.model, data, cfg.hparams)
    if not model.uses_batches:
        users, items = model.vectors()
        test, notes = evaluate_target(data, users, items, "test", cfg.ks, cfg.index, cfg.eval_mode)
        return FitResult(model, [], 0, test, notes, 0.0)
    pacing = cfg.pacing if cfg.model in USES_CURRICULUM else "none"
    candidates = warm_overlap(data)
    curriculum = overlap_curriculum(
        data, candidates, cfg.difficulty, pacing, cfg.curriculum_start, cfg.curriculum_epochs
    )
    sampler = BatchSampler(
        data, curriculum, cfg.batch_size, cfg.negatives, cfg.anchors, cfg.anchor_negatives, cfg.seed
    )
    # graph buffers are identical on every process: no need to broadcast them each forward
    ddp = DistributedDataParallelKwargs(broadcast_buffers=False)
    accelerator = Accelerator(cpu=not torch.cuda.is_available(), kwargs_handlers=[ddp])
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    model, optimizer = accelerator.prepare(model, optimizer)
    inner: Recommender = accelerator.unwrap_model(model)
    world, rank = accelerator.num_processes, accelerator.process_index
    usable = max(1, len(sampler) // world) * world  # every process steps equally often

    state = {"epoch": 0, "history": [], "best": -1.0, "best_epoch": 0, "best_weights": None, "bad": 0}
    if checkpoint is not None and checkpoint.exists():
        saved = torch.load(checkpoint, weights_only=False)
        inner.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        state = saved["state"]
        torch.set_rng_state(saved["torch_rng"])  # dropout and edge-dropout views continue as if uninterrupted
    with progress_bar(cfg.epochs, f"training {cfg.model}", enabled=progress) as advance:
        advance(state["epoch"])
        while state["epoch"] < cfg.epochs and state["bad"] < cfg.patience:
            epoch = state["epoch"]
            model.train()
            t0 = time.perf_counter()
            sums: dict[str, float] = {}
            done = 0
            for index, batch in enumerate(sampler.epoch(epoch)):
                if index >= usable or index % world != rank:
                    continue  # under DDP each process takes its share of the epoch's batches
                losses = model(_to(batch, accelerator.device), float(epoch))  # through DDP when wrapped
                optimizer.zero_grad(set_to_none=True)
                accelerator.backward(losses["loss"])
                optimizer.step()
                done += 1
                for name, value in losses.items():
                    sums[name] = sums.get(name, 0.0) + float(value.detach())
            sums = {name: total / max(1, done) for name, total in sums.items()}
            took = time.perf_counter() - t0
            model.eval()
            users, items = inner.vectors()
            valid, _ = evaluate_target(data, users, items, "valid", cfg.ks, cfg.index, cfg.eval_mode)
            score = valid[VALID_METRIC]
            state["history"].append(
                {"epoch": epoch + 1, **sums, f"valid/{VALID_METRIC}": score, "seconds": took}
            )
            if score > state["best"]:
                state.update(best=score, best_epoch=epoch + 1, bad=0)
                state["best_weights"] = {k: v.detach().cpu().clone() for k, v in inner.state_dict().items()}
            else:
                state["bad"] += 1
            state["epoch"] = epoch + 1
            if checkpoint is not None and accelerator.is_main_process:
                blob = {
                    "model": inner.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "state": state,
                    "torch_rng": torch.get_rng_state(),
                }
                write_atomic(checkpoint, _checkpoint_bytes(blob))
            advance(1)
    if state["best_weights"] is not None:
        inner.load_state_dict(state["best_weights"])
    inner.eval()
    users, items = inner.vectors()
    test, notes = evaluate_target(data, users, items, "test", cfg.ks, cfg.index, cfg.eval_mode)
    per_epoch = sum(h["seconds"] for h in state["history"]) / max(1, len(state["history"]))
    return FitResult(inner, state["history"], state["best_epoch"], test, notes, per_epoch)
