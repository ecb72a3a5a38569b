"""GaLore+ under accelerate DDP: two gloo processes on CPU train exactly like one process on the
whole batch (DDP averages gradients before `step`, so every rank computes the same projector)."""

import torch

from reasonlab.optim import GaLoreAdamW, galore_param_groups
from reasonlab.testbed.random_model import random_llama
from tests.ddp import spawn

STEPS, WORLD = 6, 2
OPTIONS = dict(rank=8, update_proj_gap=2, projector="rsi", residual_density=0.05, residual_warmup=2)


def _setup():
    model, _ = random_llama(seed=0, hidden=64, layers=2, heads=4, kv_heads=2)
    model = model.double()  # float64: summation order (all-reduce vs one backward) stays below 1e-12
    opt = GaLoreAdamW(galore_param_groups(model, **OPTIONS), lr=1e-2)
    batch = torch.randint(0, 100, (4, 24), generator=torch.Generator().manual_seed(1))
    return model, opt, batch


def _worker(rank: int, out: str) -> None:
    from datetime import timedelta

    from accelerate import Accelerator
    from accelerate.utils import InitProcessGroupKwargs

    # A rank that waits for a peer which is gone fails after two minutes instead of gloo's thirty.
    accelerator = Accelerator(
        cpu=True, kwargs_handlers=[InitProcessGroupKwargs(timeout=timedelta(seconds=120))]
    )
    assert accelerator.num_processes == WORLD
    model, opt, batch = _setup()
    model, opt = accelerator.prepare(model, opt)
    mine = batch.chunk(WORLD)[rank]
    for _ in range(STEPS):
        loss = model(input_ids=mine, labels=mine).loss
        accelerator.backward(loss)
        opt.step()
        opt.zero_grad()
    torch.save(accelerator.unwrap_model(model).state_dict(), f"{out}/rank{rank}.pt")
    accelerator.end_training()


def test_two_ddp_processes_match_one_process_on_the_full_batch(tmp_path):
    spawn(_worker, WORLD, str(tmp_path))
    model, opt, batch = _setup()
    for _ in range(STEPS):
        # the mean over the two halves' mean losses is the full batch's mean loss (equal halves)
        loss = sum(model(input_ids=half, labels=half).loss for half in batch.chunk(WORLD)) / WORLD
        loss.backward()
        opt.step()
        opt.zero_grad()
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in range(WORLD)]
    for name, value in model.state_dict().items():
        assert torch.equal(ranks[0][name], ranks[1][name]), name
        assert torch.allclose(ranks[0][name], value, atol=1e-10), name
    initial = _setup()[0].state_dict()
    moved = [n for n, v in model.state_dict().items() if not torch.equal(v, initial[n])]
    assert len(moved) == len(initial)  # every parameter trained
