"""The recommender training loop under accelerate DDP: two gloo processes split each epoch's
batches, stay in sync, and finish with the same weights."""

import torch

from tests.ddp import spawn
from tests.recsys.conftest import SMALL


def _worker(rank: int, data_dir: str, out: str) -> None:
    from reasonlab.recsys.data import load_pair
    from reasonlab.recsys.synth import write_pair
    from reasonlab.recsys.training import FitConfig, fit

    data = load_pair(*write_pair(SMALL, f"{data_dir}/{rank}"))
    result = fit(
        data, FitConfig(model="sccdr", epochs=2, patience=5, lr=1e-2, batch_size=256), progress=False
    )
    torch.save({"state": result.model.state_dict(), "epochs": len(result.history)}, f"{out}/rank{rank}.pt")


def test_two_processes_train_in_sync(tmp_path):
    spawn(_worker, 2, str(tmp_path / "data"), str(tmp_path))
    a, b = (torch.load(tmp_path / f"rank{r}.pt") for r in range(2))
    assert a["epochs"] == b["epochs"] == 2
    for name, value in a["state"].items():
        assert torch.equal(value, b["state"][name]), name
