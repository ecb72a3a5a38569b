import dataclasses
import json
import math
import shutil

import pytest
import torch
from transformers import AutoModelForCausalLM

from reasonlab.core.errors import ReasonlabError
from reasonlab.tasks import create_task
from reasonlab.testbed.presets import PRESETS
from reasonlab.testbed.tokenizer import build_tokenizer
from reasonlab.testbed.train import BatchStream, TrainConfig, lr_at, make_batch, train


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


def test_a_stream_reusing_each_pool_gives_the_batches_built_one_by_one():
    tok = build_tokenizer()
    task = create_task("arith", seed=1)
    close = tok.convert_tokens_to_ids("</think>")
    preset = PRESETS["draft"]
    stream = BatchStream(preset, 0, tok, task, close)
    # crosses two pool boundaries, then goes back to a pool already left (as a resumed run never does)
    for step in [*range(preset.bucket - 1, 2 * preset.bucket + 2), 1]:
        streamed, alone = stream.batch(step), make_batch(step, preset, 0, tok, task, close)
        assert torch.equal(streamed[0], alone[0]) and torch.equal(streamed[1], alone[1]), step


def test_schedule_warms_up_then_decays():
    p = PRESETS["target"]
    end = p.cosine_steps
    assert lr_at(0, p, p.steps) < lr_at(p.warmup - 1, p, p.steps) == p.lr
    assert lr_at(end - 1, p, p.steps) < lr_at(end // 2, p, p.steps) < p.lr
    assert abs(lr_at(end, p, p.steps) - p.lr * p.min_lr_ratio) < 1e-9
    assert lr_at(p.steps - 1, p, p.steps) == lr_at(end, p, p.steps)  # the floor after the decay


def _formula_before_the_training_layer(step: int, p, total: int) -> float:
    """testbed/train.py's own schedule before it moved onto training/schedule.py, kept verbatim."""
    if step < p.warmup:
        return p.lr * (step + 1) / p.warmup
    end = p.cosine_steps or total
    progress = min(1.0, (step - p.warmup) / max(1, end - p.warmup))
    return p.lr * (p.min_lr_ratio + (1 - p.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


@pytest.mark.parametrize("name", ["target", "draft"])
def test_the_shared_schedule_gives_the_shipped_recipes_their_learning_rates(name):
    p = PRESETS[name]
    for step in range(0, p.steps, 7):
        assert lr_at(step, p, p.steps) == pytest.approx(
            _formula_before_the_training_layer(step, p, p.steps), rel=1e-12
        )


def test_the_checkpoint_format_is_unchanged(tmp_path):
    work = tmp_path / "w"
    train(
        TrainConfig(model="draft", compile=False, steps=1, out=str(tmp_path / "m"), work_dir=str(work)),
        progress=False,
    )
    saved = torch.load(work / "checkpoint.pt", weights_only=False)
    assert set(saved) == {"preset", "seed", "model", "optimizer", "averaged", "step", "history", "seconds"}
    assert saved["step"] == 1 and saved["seed"] == 0 and saved["history"][0].keys() == {"step", "loss", "lr"}


def test_a_shorter_run_is_a_prefix_of_the_recipe():
    # With cosine_steps set, the schedule does not depend on the total: stopping early gives exactly
    # the weights the full recipe had at that step (how the step counts were chosen).
    p = PRESETS["draft"]
    assert [lr_at(s, p, 600) for s in range(600)] == [lr_at(s, p, p.steps) for s in range(600)]


def test_resuming_with_another_recipe_is_refused(tmp_path):
    work = tmp_path / "w"
    train(
        TrainConfig(model="draft", compile=False, steps=1, out=str(tmp_path / "a"), work_dir=str(work)),
        progress=False,
    )
    with pytest.raises(ReasonlabError, match="another recipe or seed"):
        train(
            TrainConfig(
                model="draft", compile=False, seed=1, steps=2, out=str(tmp_path / "b"), work_dir=str(work)
            ),
            progress=False,
        )


def test_a_short_run_saves_a_loadable_model_and_an_interrupted_run_resumes_identically(tmp_path):
    full = train(
        TrainConfig(
            model="draft", compile=False, steps=4, out=str(tmp_path / "a"), work_dir=str(tmp_path / "wa")
        ),
        progress=False,
    )
    # Two steps, "interrupted" (the checkpoint is what a crash leaves), then resumed to four.
    train(
        TrainConfig(
            model="draft", compile=False, steps=2, out=str(tmp_path / "b"), work_dir=str(tmp_path / "wb")
        ),
        progress=False,
    )
    ckpt = torch.load(tmp_path / "wb" / "checkpoint.pt", weights_only=False)
    assert ckpt["step"] == 2
    shutil.rmtree(tmp_path / "b")  # a crash leaves the checkpoint and no model folder
    resumed = train(
        TrainConfig(
            model="draft", compile=False, steps=4, out=str(tmp_path / "b"), work_dir=str(tmp_path / "wb")
        ),
        progress=False,
    )
    a = AutoModelForCausalLM.from_pretrained(full)
    b = AutoModelForCausalLM.from_pretrained(resumed)
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.allclose(x, y, atol=1e-6), name
    log = json.loads((full / "training_log.json").read_text())
    assert log["steps"] == 4 and len(log["history"]) == 4 and (full / "loss_curve.png").stat().st_size > 0


def test_the_compiled_training_step_gives_the_eager_loss_and_gradients():
    from reasonlab.testbed.train import build_model, make_train_step

    tok = build_tokenizer()
    preset = PRESETS["draft"]
    ids, labels = make_batch(
        0, preset, 0, tok, create_task("arith", seed=1), tok.convert_tokens_to_ids("</think>")
    )
    ids, labels = ids[:4], labels[:4]
    results = []
    for compiled in (False, True):
        model = build_model(preset, tok, seed=0)
        loss = make_train_step(model, bf16=False, compile_=compiled)(ids, labels)
        results.append((loss, {n: p.grad for n, p in model.named_parameters()}))
    (eager_loss, eager_grads), (compiled_loss, compiled_grads) = results
    assert torch.allclose(eager_loss, compiled_loss, atol=1e-5)
    for name, grad in eager_grads.items():
        assert compiled_grads[name] is not None, name
        assert torch.allclose(grad, compiled_grads[name], atol=1e-5, rtol=1e-3), name


def test_weight_averaging_saves_the_mean_of_the_later_iterates_also_after_a_resume(tmp_path, monkeypatch):
    tiny = dataclasses.replace(PRESETS["draft"], hidden=32, layers=1, heads=2, kv_heads=1, average_from=2)
    monkeypatch.setitem(PRESETS, "tiny", tiny)

    def run(steps: int, work: str) -> tuple[dict, dict]:
        out = train(
            TrainConfig(
                model="tiny",
                compile=False,
                steps=steps,
                out=str(tmp_path / work / "m"),
                work_dir=str(tmp_path / work),
            ),
            progress=False,
            overwrite=True,  # "resumed" extends its own finished 2-step run
        )
        saved = AutoModelForCausalLM.from_pretrained(out).state_dict()
        return saved, torch.load(tmp_path / work / "checkpoint.pt", weights_only=False)["model"]

    _, third = run(3, "three")
    averaged, fourth = run(4, "four")
    run(2, "resumed")
    resumed, _ = run(4, "resumed")
    for name, last in fourth.items():
        assert torch.allclose(averaged[name], (third[name] + last) / 2, atol=1e-6), name
        assert torch.allclose(resumed[name], averaged[name], atol=1e-6), name
    assert not torch.allclose(averaged["lm_head.weight"], fourth["lm_head.weight"])
