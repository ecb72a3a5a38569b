"""The testbed:logic recipe: meta-ability traces, the task mixture, and fine-tuning from a shipped model."""

import dataclasses
import json
import random

import pytest
import torch
from safetensors.torch import load_file

from reasonlab.models.loading import chat_prompt_ids
from reasonlab.rewards.tags import tag_reward
from reasonlab.tasks import create_task
from reasonlab.testbed.logic_traces import LogicTraceConfig
from reasonlab.testbed.presets import PRESETS, preset_record
from reasonlab.testbed.tokenizer import build_tokenizer
from reasonlab.testbed.traces import build_example
from reasonlab.testbed.train import (
    MAX_POSITIONS,
    BatchStream,
    MixedTask,
    TrainConfig,
    build_model,
    train,
    training_task,
)

LOGIC = PRESETS["logic"]


@pytest.mark.parametrize("index", range(6))
def test_each_logic_example_is_the_reference_solution_and_earns_the_papers_full_reward(index):
    # The trained completion must be what the paper's reward pays +3 for: the data and the RL reward
    # agree on the format, and the answer after the thinking is the right one.
    entry = LOGIC.mixture[index]
    task = create_task(entry.task, seed=3, **dict(entry.options))
    tok = build_tokenizer()
    close = tok.convert_tokens_to_ids("</think>")
    reward = tag_reward(task)
    rng = random.Random(0)
    for i in range(20):
        p = task.problem(i)
        prompt = chat_prompt_ids(tok, p.question)
        ex = build_example(p, tok, prompt, close, rng, LogicTraceConfig(), task=task)
        assert not ex.early_close and tok.unk_token_id not in ex.ids
        assert ex.loss_mask[: len(prompt)] == [0] * len(prompt) and all(ex.loss_mask[len(prompt) :])
        completion = tok.decode(ex.ids[len(prompt) :], skip_special_tokens=True)
        assert completion.startswith(task.reference_steps(p)[0])
        assert reward.score(p, completion) == 3.0, completion


def test_logic_traces_refuse_a_problem_without_its_task():
    p = create_task("induction").problem(0)
    with pytest.raises(TypeError, match="reference_steps"):
        LogicTraceConfig().pieces(p, random.Random(0))


def test_the_mixture_takes_turns_and_keeps_each_tasks_traces():
    mixed = training_task(LOGIC)
    assert isinstance(mixed, MixedTask) and len(mixed.tasks) == len(LOGIC.mixture)
    for i in range(2 * len(LOGIC.mixture)):
        problem, task, traces = mixed.entry(i)
        entry = LOGIC.mixture[i % len(LOGIC.mixture)]
        assert task.name == entry.task and traces == entry.traces
        assert problem == task.problem(i // len(LOGIC.mixture)) and problem.id.startswith(entry.task)
    # arith has no traces of its own: it is written as the recipe's, like the target's arith
    assert mixed.entry(len(LOGIC.mixture) - 1)[2] is None
    tok = build_tokenizer()
    stream = BatchStream(LOGIC, 0, tok, mixed, tok.convert_tokens_to_ids("</think>"))
    ids, labels = stream.batch(0)
    assert ids.shape[0] == LOGIC.batch_size and (labels != -100).any()
    # the few solutions longer than the positions (deduction level 2) are cut there, as SFT trainers do
    widths = [stream.batch(step)[0].shape[1] for step in range(0, 40, LOGIC.bucket)]
    assert max(widths) <= MAX_POSITIONS


def test_a_recipe_record_leaves_out_unset_new_fields_and_pins_the_weights_it_starts_from(shipped):
    # Runs started before `mixture` and `init` existed recorded neither: their checkpoints still match.
    assert {"mixture", "init", "init_sha256"}.isdisjoint(preset_record(PRESETS["target"]))
    record = json.loads(json.dumps(preset_record(LOGIC)))
    assert record["init"] == "target" and len(record["mixture"]) == len(LOGIC.mixture)
    before = record["init_sha256"]
    (shipped / "target" / "model.safetensors").write_bytes(b"other weights")
    assert preset_record(LOGIC)["init_sha256"] != before


def test_fine_tuning_starts_from_the_shipped_weights_and_refuses_an_unshipped_start(shipped):
    model = build_model(LOGIC, build_tokenizer(), seed=0)
    start = load_file(shipped / "target" / "model.safetensors")
    for name, tensor in model.state_dict().items():
        if name in start:
            assert torch.equal(tensor, start[name]), name
    with pytest.raises(Exception, match="not shipped"):
        build_model(dataclasses.replace(LOGIC, init="nonexistent"), build_tokenizer(), seed=0)


def test_one_logic_training_step_runs_and_saves_a_model(shipped, tmp_path):
    out = train(
        TrainConfig(
            model="logic", compile=False, steps=1, out=str(tmp_path / "m"), work_dir=str(tmp_path / "w")
        ),
        progress=False,
    )
    log = json.loads((out / "training_log.json").read_text())
    assert log["preset"]["init"] == "target" and log["steps"] == 1 and log["final_loss"] > 0
