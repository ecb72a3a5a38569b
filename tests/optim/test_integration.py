"""GaLoreAdamW against the reference implementation and inside the Hugging Face Trainer."""

import pytest
import torch

from reasonlab.optim import GaLoreAdamW, galore_param_groups
from reasonlab.testbed.random_model import random_llama

galore_torch = pytest.importorskip("galore_torch")


def batch(tok):
    ids = tok.encode(
        "37+45=82\n\n82*3=246 -> 46\n\n46-18=28\n\nSo the answer is 28.", add_special_tokens=False
    )
    return torch.tensor([ids] * 4)


def train(model, opt, ids, steps):
    losses = []
    for _ in range(steps):
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        losses.append(loss.item())
    return losses


def test_svd_galore_tracks_galore_torch_for_50_steps():
    (ours_model, tok), (ref_model, _) = (
        random_llama(seed=3, hidden=64, layers=2, heads=4, kv_heads=2) for _ in range(2)
    )
    settings = dict(rank=8, update_proj_gap=10, scale=0.25)
    ours = GaLoreAdamW(galore_param_groups(ours_model, projector="svd", **settings), lr=2e-3)
    ref_groups = [
        {k: v for k, v in g.items() if k not in ("projector", "weight_decay")} | {"proj_type": "std"}
        if "rank" in g
        else {"params": g["params"]}
        for g in galore_param_groups(ref_model, **settings)
    ]
    with pytest.warns(FutureWarning):
        ref = galore_torch.GaLoreAdamW(ref_groups, lr=2e-3, no_deprecation_warning=False)
    ids = batch(tok)
    a, b = train(ours_model, ours, ids, 50), train(ref_model, ref, ids, 50)
    assert a[-1] < 0.6 * a[0]  # it learns
    # The two differ in where eps enters Adam's denominator (torch.optim.AdamW's place for us) and in
    # rounding; with eps equalised they agree exactly for 35 steps, then a refresh whose rank-8 cut
    # falls between nearly equal singular values amplifies rounding. 1% over 50 steps bounds both.
    for x, y in zip(a, b):
        assert x == pytest.approx(y, rel=1e-2)
    assert a[10] == pytest.approx(b[10], rel=1e-3)


def test_works_as_the_optimizer_of_the_hugging_face_trainer(tmp_path):
    from transformers import Trainer, TrainingArguments

    model, tok = random_llama(seed=0, hidden=64, layers=2, heads=4, kv_heads=2)
    ids = batch(tok)[0].tolist()
    data = [{"input_ids": ids, "labels": ids} for _ in range(8)]
    opt = GaLoreAdamW(galore_param_groups(model, rank=8, update_proj_gap=2, projector="rsi"), lr=5e-3)
    projected = [p for g in opt.param_groups if "rank" in g for p in g["params"]]
    before = [p.detach().clone() for p in projected]
    args = TrainingArguments(
        output_dir=str(tmp_path),
        max_steps=6,
        per_device_train_batch_size=4,
        report_to=[],
        use_cpu=True,
        save_strategy="no",
        logging_steps=1,
        disable_tqdm=True,
    )
    trainer = Trainer(model=model, args=args, train_dataset=data, optimizers=(opt, None))
    result = trainer.train()
    assert result.global_step == 6
    # The Trainer stepped our optimizer (accelerate may wrap it) and not one of its own: every
    # projected weight took 6 GaLore steps with rank-8 moments, and moved.
    assert getattr(trainer.optimizer, "optimizer", trainer.optimizer) is opt
    assert projected and all(opt.state[p]["step"] == 6 and opt.state[p]["projected"] for p in projected)
    assert all(
        8 in opt.state[p]["exp_avg"].shape and opt.state[p]["exp_avg"].numel() < p.numel() for p in projected
    )
    assert all(not torch.equal(b, p.detach()) for b, p in zip(before, projected))
    logged = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    assert logged[-1] < logged[0]
