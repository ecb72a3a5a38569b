"""Data parallelism for the training loops, through accelerate: one process per device, started by
`accelerate launch` (or torchrun). Every process builds the same global batch, takes its rows, and
the gradients are summed across processes before the update, each first weighted by its share of
the batch's trained tokens, so the update is the one-process update on the whole batch (a
token-mean loss), as DDP would give with equal shards. Only the main process writes (checkpoints,
metrics, the model folder). A plain `python` run is one process and nothing changes."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class DataParallel:
    rank: int = 0
    world: int = 1
    local_rank: int = 0  # the process's index on its machine: its GPU

    @classmethod
    def from_env(cls) -> DataParallel:
        """The process group a launcher set up (WORLD_SIZE > 1), else one process."""
        if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
            return cls()
        from accelerate import PartialState  # gloo on CPU, nccl on CUDA, from the launcher's env

        state = PartialState()
        return cls(state.process_index, state.num_processes, state.local_process_index)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def place(self, device: str) -> str:
        """`device` for this process: plain "cuda" means one GPU per process, the launcher's order."""
        return f"cuda:{self.local_rank}" if device == "cuda" and self.world > 1 else device

    def rows(self, n: int) -> slice:
        """This process's rows of an n-row batch: every world-th, from its rank."""
        return slice(self.rank, n, self.world)

    def reduce_gradients(self, model: torch.nn.Module, weight: float = 1.0) -> None:
        """Sum the gradients of all processes, each weighted first (its share of the batch). A
        process that had no rows this time takes part with zero gradients."""
        if self.world == 1:
            return
        params = [p for p in model.parameters() if p.requires_grad]
        for p in params:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
        grads = [p.grad for p in params]
        flat = torch.cat([g.reshape(-1) for g in grads]) * weight
        torch.distributed.all_reduce(flat)
        offset = 0
        for g in grads:
            g.copy_(flat[offset : offset + g.numel()].view_as(g))
            offset += g.numel()

    def gather_rows(self, mine: list, n: int) -> list:
        """The n-row list whose rows `rows(n)` this process holds as `mine`, rebuilt on every
        process (any picklable rows)."""
        if self.world == 1:
            return list(mine)
        parts: list = [None] * self.world
        torch.distributed.all_gather_object(parts, list(mine))
        return [parts[i % self.world][i // self.world] for i in range(n)]

    def broadcast(self, value):
        """The main process's `value` (any picklable object), on every process."""
        if self.world == 1:
            return value
        box = [value]
        torch.distributed.broadcast_object_list(box, src=0)
        return box[0]

    def sum(self, value: float) -> float:
        if self.world == 1:
            return value
        on_gpu = torch.distributed.get_backend() == "nccl"
        t = torch.tensor([value], dtype=torch.float64, device="cuda" if on_gpu else "cpu")
        torch.distributed.all_reduce(t)
        return float(t.item())
