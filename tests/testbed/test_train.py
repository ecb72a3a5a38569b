import json

import torch
from transformers import AutoModelForCausalLM

from reasonlab.tasks import create_task
from reasonlab.testbed.presets import PRESETS
from reasonlab.testbed.tokenizer import build_tokenizer
from reasonlab.testbed.train import TrainConfig, lr_at, make_batch, train


def test_batches_depend_only_on_the_step_and_mask_the_prompt():
    tok = build_tokenizer()
    task = create_task("arith", seed=1)
    close = tok.convert_tokens_to_ids("</think>")
    a_ids, a_labels = make_batch(5, PRESETS["draft"], 0, tok, task, close)
    b_ids, b_labels = make_batch(5, PRESETS["draft"], 0, tok, task, close)
    assert torch.equal(a_ids, b_ids) and torch.equal(a_labels, b_labels)
    assert not torch.equal(a_ids, make_batch(6, PRESETS["draft"], 0, tok, task, close)[0])
    user = tok.convert_tokens_to_ids("<|user|>")
    assert (a_ids[:, 0] == user).all() and (a_labels[:, 0] == -100).all()
    assert ((a_labels == -100) | (a_labels == a_ids)).all()


def test_schedule_warms_up_then_decays():
    p = PRESETS["target"]
    assert lr_at(0, p, 1000) < lr_at(p.warmup - 1, p, 1000) == p.lr
    assert lr_at(999, p, 1000) < lr_at(500, p, 1000) < p.lr
    assert abs(lr_at(1000, p, 1000) - p.lr * p.min_lr_ratio) < 1e-9


def test_a_short_run_saves_a_loadable_model_and_an_interrupted_run_resumes_identically(tmp_path):
    full = train(
        TrainConfig(model="draft", steps=4, out=str(tmp_path / "a"), work_dir=str(tmp_path / "wa")),
        progress=False,
    )
    # Two steps, "interrupted" (the checkpoint is what a crash leaves), then resumed to four.
    train(
        TrainConfig(model="draft", steps=2, out=str(tmp_path / "b"), work_dir=str(tmp_path / "wb")),
        progress=False,
    )
    ckpt = torch.load(tmp_path / "wb" / "checkpoint.pt", weights_only=False)
    assert ckpt["step"] == 2
    resumed = train(
        TrainConfig(model="draft", steps=4, out=str(tmp_path / "b"), work_dir=str(tmp_path / "wb")),
        progress=False,
    )
    a = AutoModelForCausalLM.from_pretrained(full)
    b = AutoModelForCausalLM.from_pretrained(resumed)
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.allclose(x, y, atol=1e-6), name
    log = json.loads((full / "training_log.json").read_text())
    assert log["steps"] == 4 and len(log["history"]) == 4 and (full / "loss_curve.png").stat().st_size > 0
