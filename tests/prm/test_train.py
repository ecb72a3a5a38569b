import random

import pytest
import torch

from reasonlab.prm.config import PRMTrainConfig
from reasonlab.prm.data import StepSample, label_testbed_steps, split_steps
from reasonlab.prm.metrics import auroc, processbench_f1
from reasonlab.prm.train import PRMBatches, train_prm
from reasonlab.tasks import create_task
from reasonlab.testbed.revision_traces import RevisionTraceConfig, revision_pieces

TASK = create_task("arith", seed=5)


def _samples(count: int, seed: int) -> list[StepSample]:
    """Generated revision traces with exact labels: slipped steps and wrong candidates are wrong."""
    rng, out = random.Random(seed), []
    for i in range(count):
        problem = TASK.problem(i)
        pieces = revision_pieces(problem, rng, RevisionTraceConfig(p_step_slip=0.3))
        text = (
            "\n\n".join(p.text for p in pieces)
            + f"\n</think>\n\nThe answer is \\boxed{{{pieces[-1].belief}}}."
        )
        steps = split_steps(text)
        labels = label_testbed_steps(TASK, problem, steps, "</think>")
        out.append(StepSample(problem.id, problem.question, steps, labels, "generator", labels[-1]))
    return out


def test_training_lowers_the_loss_and_a_killed_run_resumes_to_the_same_weights(tmp_path, monkeypatch):
    cfg = PRMTrainConfig(steps=16, batch_size=4, learning_rate=1e-3, warmup_steps=2, checkpoint_every_s=0.0)
    data = _samples(32, 0)
    prm, history, _ = train_prm(cfg, data, tmp_path / "full", progress=False)
    # it learns the base rate at least
    assert sum(h["loss"] for h in history[-4:]) < sum(h["loss"] for h in history[:4])

    batch = PRMBatches.__call__

    def killed_at_6(self, step):
        if step == 6:
            raise KeyboardInterrupt
        return batch(self, step)

    monkeypatch.setattr(PRMBatches, "__call__", killed_at_6)
    with pytest.raises(KeyboardInterrupt):
        train_prm(cfg, data, tmp_path / "cut", progress=False)
    monkeypatch.setattr(PRMBatches, "__call__", batch)
    said = []
    resumed, again, _ = train_prm(cfg, data, tmp_path / "cut", progress=False, say=said.append)
    assert said == ["resuming from step 6 of 16"]
    assert [h["loss"] for h in again] == pytest.approx([h["loss"] for h in history], abs=1e-5)
    for (name, a), b in zip(prm.state_dict().items(), resumed.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6), name


def test_auroc_and_processbench_f1():
    assert auroc([0.9, 0.8, 0.1], [True, True, False]) == 1.0
    assert auroc([0.1, 0.9], [True, False]) == 0.0
    assert auroc([0.5, 0.5], [True, False]) == 0.5
    assert auroc([0.5], [True]) != auroc([0.5], [True])  # NaN: one class only
    scores = [[0.9, 0.2, 0.9], [0.9, 0.9], [0.3, 0.9]]
    labels = [[True, False, True], [True, True], [True, True]]
    result = processbench_f1(scores, labels)
    assert result["erroneous_accuracy"] == 1.0 and result["correct_accuracy"] == 0.5
    assert result["f1"] == pytest.approx(2 / 3)


def test_held_out_figures_and_the_outcome_model(tmp_path):
    from reasonlab.prm.data import as_outcome
    from reasonlab.prm.job import evaluate_prm
    from reasonlab.prm.train import build_prm

    prm = build_prm(PRMTrainConfig()).eval()
    data = _samples(12, 1) + _samples(12, 2)  # two solutions per problem: groups of 2
    figures = evaluate_prm(prm, data)
    best = figures["best_of_group"]
    assert best["groups"] == 12 and best["group_size"] == 2
    assert best["oracle"] >= max(best["prm_last"], best["random"]) and 0 <= best["random"] <= 1
    assert 0 <= figures["step_auroc"] <= 1 and 0 <= figures["processbench"]["f1"] <= 1
    orm = [as_outcome(s) for s in data]
    assert all(len(s.steps) == 1 and s.labels == [s.correct] for s in orm)
    assert orm[0].steps[0] == "\n\n".join(data[0].steps)
