"""The shared training layer: schedule, guarded atomic checkpoints, the step loop and its resume."""

import json

import pytest
import torch

from reasonlab.core.errors import ReasonlabError
from reasonlab.training.checkpoint import load_checkpoint, save_checkpoint
from reasonlab.training.loop import run_steps
from reasonlab.training.schedule import WarmupCosine


def test_warmup_then_cosine_to_the_floor():
    s = WarmupCosine(peak=1.0, warmup=10, decay_end=110, min_ratio=0.1)
    assert s(0) == pytest.approx(0.1) and s(9) == pytest.approx(1.0)
    assert s(60) == pytest.approx(0.1 + 0.9 * 0.5)  # half way through the decay
    assert s(110) == pytest.approx(0.1) and s(500) == pytest.approx(0.1)


def test_a_checkpoint_of_another_recipe_is_refused_by_name(tmp_path):
    path = tmp_path / "ckpt.pt"
    assert load_checkpoint(path, {"recipe": 1}) is None
    save_checkpoint(path, {"recipe": {"lr": 1.0}, "seed": 0, "step": 3, "w": torch.ones(2)})
    assert load_checkpoint(path, {"recipe": {"lr": 1.0}, "seed": 0})["step"] == 3
    with pytest.raises(
        ReasonlabError, match=r"differs in recipe, seed\); remove it or pass another --work-dir"
    ):
        load_checkpoint(path, {"recipe": {"lr": 2.0}, "seed": 1})
    assert not list(tmp_path.glob("*.tmp*"))  # nothing half-written left behind


def _run(tmp_path, start, total, history, saves, seconds_before=0.0):
    return run_steps(
        start,
        total,
        lambda step: {"loss": 1.0 / (step + 1)},
        history=history,
        metrics_path=tmp_path / "metrics.jsonl",
        save=lambda step, seconds: saves.append(step),
        checkpoint_every_s=0.0,  # every step
        seconds_before=seconds_before,
        log_every=2,
        progress=False,
    )


def test_the_loop_logs_checkpoints_and_resumes_without_duplicate_lines(tmp_path):
    history, saves = [], []
    _run(tmp_path, 0, 6, history, saves)
    assert [h["step"] for h in history] == [1, 2, 3, 4, 5, 6]
    assert saves == [1, 2, 3, 4, 5]  # not after the last step: the caller saves the finished state
    # a kill after the checkpoint of step 3: the log already holds steps 2 and 4
    resumed = history[:3]
    seconds = _run(tmp_path, 3, 6, resumed, [], seconds_before=100.0)
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [x["step"] for x in lines] == [2, 4, 6]
    assert resumed == history and seconds >= 100.0
    assert lines[-1]["seconds"] >= 100.0


def test_a_torn_metrics_line_is_dropped_on_resume(tmp_path):
    history, saves = [], []
    _run(tmp_path, 0, 4, history, saves)
    path = tmp_path / "metrics.jsonl"
    path.write_text(path.read_text() + '{"step": 6, "lo')  # killed mid-append
    _run(tmp_path, 4, 6, history[:4], [])
    assert [json.loads(x)["step"] for x in path.read_text().splitlines()] == [2, 4, 6]
