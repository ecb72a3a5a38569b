"""RL end to end on the shipped draft model: a few short steps, resume, budgets, bad input."""

import json
import math

import pytest
import torch

from reasonlab.cli.common import config_from
from reasonlab.core.errors import ReasonlabError
from reasonlab.core.runs import Run
from reasonlab.engines.hf import HFEngine
from reasonlab.models.loading import load_model
from reasonlab.models.think import detect_think_format
from reasonlab.rewards import VerifierReward
from reasonlab.rl.config import RLConfig
from reasonlab.rl.trainer import RLTrainer, group_advantages, train
from reasonlab.tasks import create_task
from tests.cli_runner import run_cli

SMALL = dict(
    model="testbed:draft",
    steps=2,
    prompts_per_step=2,
    num_generations=3,
    max_tokens=48,
    learning_rate=1e-3,
    checkpoint_every_s=0.0,
    temperature=3.0,  # the draft is nearly deterministic at 1.0 (entropy ~0.03): groups would agree
)


class Alternating(VerifierReward):
    """+1 on every third call, -1 on the others: spread within every group of 3 completions and
    within every interleaved mini-batch of them, even where a short cap leaves every answer wrong,
    so every algorithm has something to learn from."""

    def __init__(self, task):
        super().__init__(task)
        self.calls = 0

    def score(self, problem, completion):
        self.calls += 1
        return 1.0 if self.calls % 3 == 1 else -1.0


def _trainer(**overrides):
    cfg = config_from(RLConfig, {**SMALL, **overrides}).validate()
    model, tok = load_model(cfg.model, dtype="float32")
    think = detect_think_format(tok, model_name=cfg.model)
    task = create_task("arith")
    reward = overrides.pop("reward", None) or VerifierReward.signed(task)
    return RLTrainer(cfg, model, tok, HFEngine(model, tok), think, task, reward)


def test_trl_loss_type_names_map_onto_ours():
    assert config_from(RLConfig, {"loss_type": "dr_grpo"}).validate().loss_type == "sum-norm"
    assert config_from(RLConfig, {"loss_type": "grpo"}).validate().loss_type == "seq-mean"


def test_group_advantages_skip_nan_and_drop_agreeing_groups():
    rewards = torch.tensor([[1.0, -1.0, float("nan")], [1.0, 1.0, 1.0], [-1.0, 1.0, 1.0]])
    adv, kept = group_advantages(config_from(RLConfig, {"algo": "reinforce-rej"}), rewards)
    assert kept.all()  # rejected groups stay in the batch with advantage 0, as the official code
    assert adv[0].tolist() == [1.0, -1.0, 0.0] and adv[1].tolist() == [0.0, 0.0, 0.0]
    adv, kept = group_advantages(config_from(RLConfig, {"algo": "grpo"}), rewards)
    assert kept.all() and adv[1].abs().max() == 0 and adv[0, 0] > 0 > adv[0, 1] and adv[0, 2] == 0
    _, kept = group_advantages(
        config_from(RLConfig, {"algo": "grpo", "filter_groups": "zero-variance"}), rewards
    )
    assert kept.tolist() == [True, False, True]
    wrong = torch.tensor([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
    _, kept = group_advantages(
        config_from(RLConfig, {"algo": "reinforce", "filter_groups": "all-correct"}), wrong
    )
    assert kept.tolist() == [False, True, True]
    _, kept = group_advantages(
        config_from(RLConfig, {"algo": "reinforce", "filter_groups": "all-wrong"}), wrong
    )
    assert kept.tolist() == [True, False, True]
    with pytest.raises(ReasonlabError, match="--filter-groups 'yes'"):
        config_from(RLConfig, {"filter_groups": "yes"}).validate()
    with pytest.raises(ReasonlabError, match="--reject applies to --algo reinforce-rej"):
        config_from(RLConfig, {"algo": "grpo", "reject": "all-correct"}).validate()
    adv, kept = group_advantages(
        config_from(RLConfig, {"algo": "reinforce-rej", "reject": "all-correct"}), wrong
    )
    assert kept.all() and adv.tolist() == [[0.0, 0.0], [-1.0, -1.0], [1.0, -1.0]]
    # one reward left by NaNs: nothing to compare it with, so no +-1 advantage
    adv, kept = group_advantages(config_from(RLConfig, {"algo": "grpo"}), torch.tensor([[1.0, float("nan")]]))
    assert kept.tolist() == [False] and adv.abs().sum() == 0


def test_each_prompt_samples_from_its_own_stream():
    trainer = _trainer(steps=1)
    p = trainer.task.problem(0)
    trainer.problems = lambda step: [p, p]
    seen = []
    real_update = trainer.update
    trainer.update = lambda rows, step: seen.extend(rows) or real_update(rows, step)
    trainer.reward = Alternating(trainer.task)
    trainer.step(0)
    completions = [tuple(c) for _, c, _ in seen]
    assert completions[:3] != completions[3:]  # the same prompt twice: two different groups


def test_with_several_mini_batches_the_clip_acts_and_raftpp_is_no_longer_raft(tmp_path):
    def weights(algo: str, k: int):
        trainer = _trainer(
            algo=algo, steps=1, mini_batches=k, learning_rate=5e-2, reward=Alternating(create_task("arith"))
        )
        history = train(trainer, Run.open(tmp_path / f"{algo}{k}", {"a": algo, "k": k}), progress=False)[
            "history"
        ]
        assert trainer.optimizer.state[next(trainer.model.parameters())]["step"] == k
        return [p.detach().clone() for p in trainer.model.parameters()], history[0]

    raft1, _ = weights("raft", 1)
    raftpp1, h1 = weights("raftpp", 1)
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(raft1, raftpp1))  # ratio 1: same gradient
    assert h1["clip_fraction"] == 0
    raft2, _ = weights("raft", 2)
    raftpp2, _ = weights("raftpp", 2)
    assert not all(torch.allclose(a, b, atol=1e-6) for a, b in zip(raft2, raftpp2))


@pytest.mark.parametrize("loss_type,mini_batches", [("token-mean", 1), ("seq-mean", 1), ("sum-norm", 2)])
def test_micro_batches_bound_memory_without_changing_the_update(loss_type, mini_batches):
    def update(micro: int):
        torch.manual_seed(0)
        trainer = _trainer(
            steps=1,
            loss_type=loss_type,
            mini_batches=mini_batches,  # 2: the second scores against the old log-probs of its parts
            micro_batch_size=micro,
            beta=0.1,
            entropy_coef=0.01,
            learning_rate=1e-9,  # Adam's first step is lr-sized whatever the gradient: keep it small
        )
        gen = torch.Generator().manual_seed(1)
        rows = [  # responses of different lengths, so that token and response shares differ
            (
                [5, 6, 7, 8][: 2 + i % 3],
                torch.randint(3, 30, (4 + 5 * i,), generator=gen).tolist(),
                (-1.0) ** i * (1 + i / 7),
            )
            for i in range(7)
        ]
        grads = []  # the gradient the optimizer steps with (Adam's first step hides its scale)
        step = trainer.optimizer.step
        trainer.optimizer.step = lambda: (
            grads.extend(p.grad.clone() for p in trainer.model.parameters()) or step()
        )
        return trainer.update(rows, 0), grads

    whole, grads_whole = update(16)
    split, grads_split = update(2)  # 7 responses in 4 passes
    for key in ("loss", "kl", "entropy", "grad_norm"):
        assert split[key] == pytest.approx(whole[key], rel=1e-4, abs=1e-7), key
    assert all(torch.allclose(a, b, rtol=1e-4, atol=1e-8) for a, b in zip(grads_whole, grads_split))
    with pytest.raises(ReasonlabError, match="--micro-batch-size"):
        config_from(RLConfig, {"micro_batch_size": 0}).validate()


@pytest.mark.parametrize("algo", ["grpo", "raft", "raftpp", "reinforce-rej", "reinforce"])
def test_each_algorithm_moves_the_policy_and_logs_its_metrics(algo, tmp_path):
    trainer = _trainer(algo=algo, steps=1, reward=Alternating(create_task("arith")))
    before = [p.detach().clone() for p in trainer.model.parameters()]
    run = Run.open(tmp_path / algo, {"algo": algo})
    history = train(trainer, run, progress=False)["history"]
    keys = {"reward", "accuracy", "kl", "entropy", "response_length", "filtered", "loss", "clip_fraction"}
    assert keys <= history[0].keys()
    assert not history[0]["skipped"]
    assert any(not torch.equal(a, b) for a, b in zip(before, trainer.model.parameters()))


def test_a_killed_run_resumes_to_the_same_result(tmp_path):
    whole = _trainer()
    full = train(whole, Run.open(tmp_path / "a", {"x": 1}), progress=False)["history"]
    first = _trainer()
    real_step = first.step

    def dies_at_step_one(step):
        if step == 1:
            raise KeyboardInterrupt
        return real_step(step)

    first.step = dies_at_step_one
    run = Run.open(tmp_path / "b", {"x": 1})
    with pytest.raises(KeyboardInterrupt):
        train(first, run, progress=False)
    again = _trainer()
    resumed = train(again, run, progress=False)["history"]
    drop = lambda h: [{k: v for k, v in x.items() if not k.startswith("seconds")} for x in h]  # noqa: E731
    assert drop(resumed) == drop(full)
    for a, b in zip(whole.model.parameters(), again.model.parameters()):
        assert torch.equal(a, b)


def test_budget_rollouts_train_on_the_forced_marker(tmp_path):
    trainer = _trainer(budget="8,40", steps=1)
    seen = []
    real_update = trainer.update

    def spy(rows, step):
        seen.extend(rows)
        return real_update(rows, step)

    trainer.update = spy
    history = train(trainer, Run.open(tmp_path / "r", {"b": 1}), progress=False)["history"]
    assert history[0]["forced_close"] == 1.0  # 8 thinking tokens never finish an arith trace
    close = trainer.think.close_ids[0]
    assert all(close in completion for _, completion, _ in seen) or history[0]["skipped"]


def test_a_nan_reward_is_skipped_counted_and_warned_once(tmp_path):
    class Flaky(VerifierReward):
        def score(self, problem, completion):
            return float("nan") if sum(map(ord, completion)) % 2 else super().score(problem, completion)

    trainer = _trainer(reward=Flaky.signed(create_task("arith")))
    said = []
    history = train(trainer, Run.open(tmp_path / "n", {"n": 1}), progress=False, say=said.append)["history"]
    assert trainer.nan_rewards > 0 and history[-1]["nan_rewards"] == trainer.nan_rewards
    assert len([s for s in said if "NaN" in s]) == 1
    assert all(not math.isnan(h["loss"]) for h in history)


def test_the_cli_trains_into_a_run_folder_with_a_loadable_policy(monkeypatch, capsys, tmp_path):
    out = tmp_path / "run"
    args = [
        "rl",
        "train",
        "--model",
        "testbed:draft",
        "--steps",
        "2",
        "--prompts-per-step",
        "2",
        "--num-generations",
        "2",
        "--max-tokens",
        "32",
        "--out",
        str(out),
        "--no-progress",
    ]
    code, stdout, _ = run_cli(monkeypatch, capsys, *args)
    assert code == 0, stdout
    assert (out / "model" / "config.json").exists() and (out / "curves.png").exists()
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["step"] for x in lines] == [1, 2]
    code, stdout, _ = run_cli(
        monkeypatch,
        capsys,
        "evaluate",
        "--model",
        str(out / "model"),
        "--num-problems",
        "1",
        "-n",
        "1",
        "--out",
        str(tmp_path / "eval"),
        "--no-progress",
    )
    assert code == 0, stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--algo", "ppo"], "--algo 'ppo': choose from grpo"),
        (["--num-generations", "1"], "--num-generations 1 with grpo"),
        (["--budget", "8"], "--budget '8': expected 't,s'"),
        (["--loss-type", "mean"], "--loss-type 'mean'"),
    ],
)
def test_bad_settings_are_one_line_errors(monkeypatch, capsys, tmp_path, args, message):
    code, out, err = run_cli(monkeypatch, capsys, "rl", "train", "--out", str(tmp_path / "x"), *args)
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "x").exists() and not (tmp_path / "x.partial").exists()


def test_tasks_answered_in_tags_train_on_their_papers_reward_by_default():
    from reasonlab.rl.trainer import default_reward

    cfg = config_from(RLConfig, SMALL).validate()
    _, tok = load_model(cfg.model, dtype="float32")
    think = detect_think_format(tok, model_name=cfg.model)
    task = create_task("deduction")
    p = task.problem(0)
    reward = default_reward(cfg, task, think)
    # the chat prompt opened the thinking: the completion closes it and answers in tags
    assert reward.score(p, f"search</think>\n<answer>{p.answer}</answer>") == 3.0
    assert reward.score(p, "search</think>\n<answer>(1) A is maybe</answer>") == -1.0  # +1 format, -2
    assert reward.score(p, f"<answer>{p.answer}</answer>") == -3.0  # thinking never closed
    assert (
        default_reward(cfg, create_task("arith"), think).score(create_task("arith").problem(0), "x") == -1.0
    )


def test_the_tag_reward_counts_the_models_own_markers():
    from reasonlab.models.think import ThinkFormat
    from reasonlab.rl.trainer import default_reward

    cfg = config_from(RLConfig, SMALL).validate()
    task = create_task("deduction")
    p = task.problem(0)
    custom = ThinkFormat(open_ids=(5,), close_ids=(6,), open_text="<reason>", close_text="</reason>")
    assert default_reward(cfg, task, custom).score(p, f"x</reason>\n<answer>{p.answer}</answer>") == 3.0
    bare = ThinkFormat(open_ids=None, close_ids=None, open_text=None, close_text=None)
    # no markers: the prompt opens nothing, so the model writes the whole <think>...</think> itself
    assert default_reward(cfg, task, bare).score(p, f"<think>x</think>\n<answer>{p.answer}</answer>") == 3.0
    assert default_reward(cfg, task, bare).score(p, f"x</think>\n<answer>{p.answer}</answer>") == -3.0


def test_reinforce_pp_normalizes_over_the_batch_not_the_group():
    # REINFORCE++ has no group baseline: a group that is all right still gets a positive advantage
    # when the batch is mostly wrong (GRPO gives it 0), and NaN rewards stay out of the statistics.
    rewards = torch.tensor([[3.0, 3.0], [-3.0, -0.5], [-1.0, float("nan")]])
    adv, kept = group_advantages(config_from(RLConfig, {"algo": "reinforce++"}), rewards)
    valid = torch.tensor([3.0, 3.0, -3.0, -0.5, -1.0])
    expected = (rewards - valid.mean()) / (valid.std() + 1e-6)
    assert kept.all() and adv[2, 1] == 0
    assert torch.allclose(adv[:2], expected[:2]) and torch.allclose(adv[2, 0], expected[2, 0])
    assert adv[0, 0] > 0 and adv[1, 0] < adv[1, 1] < 0


def test_reinforce_pp_token_norm_whitens_over_response_tokens_as_verl():
    # verl gives every token of a response its reward, then whitens over all response tokens:
    # the same as repeating each reward once per token.
    rewards = torch.tensor([[3.0, -3.0], [-1.5, 3.0]])
    lengths = torch.tensor([[10, 200], [40, 12]])
    cfg = config_from(RLConfig, {"algo": "reinforce++", "reward_norm": "token"})
    adv, _ = group_advantages(cfg, rewards, lengths)
    tokens = torch.cat([r.repeat(n) for r, n in zip(rewards.flatten(), lengths.flatten())])
    expected = (rewards - tokens.mean()) / torch.sqrt(tokens.var() + 1e-8)
    assert torch.allclose(adv, expected)
    # the long wrong response pulls the baseline down: the right ones gain more than per response
    per_response, _ = group_advantages(config_from(RLConfig, {"algo": "reinforce++"}), rewards)
    assert adv[0, 0] > per_response[0, 0]
    with pytest.raises(ReasonlabError, match="reward-norm applies to --algo reinforce"):
        config_from(RLConfig, {"algo": "grpo", "reward_norm": "token"}).validate()


def test_train_in_folder_reuses_a_finished_run_and_refuses_one_of_other_settings(tmp_path):
    from reasonlab.rl.job import train_in_folder

    cfg = config_from(RLConfig, {**SMALL, "steps": 1}).validate()
    task = create_task("arith")
    summary, history = train_in_folder(cfg, task, tmp_path / "run", progress=False)
    assert len(history) == 1 and (tmp_path / "run" / "model" / "config.json").is_file()
    before = (tmp_path / "run" / "summary.json").stat().st_mtime_ns
    assert train_in_folder(cfg, task, tmp_path / "run", progress=False)[0] == summary
    assert (tmp_path / "run" / "summary.json").stat().st_mtime_ns == before
    other = config_from(RLConfig, {**SMALL, "steps": 1, "learning_rate": 5e-4}).validate()
    with pytest.raises(ReasonlabError, match="holds an RL run of other settings"):
        train_in_folder(other, task, tmp_path / "run", progress=False)


def nudge_weights(folder) -> None:
    """Retrain a model folder in miniature: one tensor of its weights moves."""
    from safetensors.torch import load_file, save_file

    path = folder / "model.safetensors"
    tensors = load_file(path)
    name = next(iter(tensors))
    tensors[name] = tensors[name] + 1e-3
    save_file(tensors, path, metadata={"format": "pt"})


def test_train_in_folder_refuses_a_finished_run_on_other_starting_weights(tmp_path):
    import shutil

    from reasonlab.models.loading import resolve_model_path
    from reasonlab.rl.job import train_in_folder

    start = tmp_path / "start"
    shutil.copytree(resolve_model_path("testbed:draft"), start)
    cfg = config_from(RLConfig, {**SMALL, "model": str(start), "steps": 1}).validate()
    task = create_task("arith")
    train_in_folder(cfg, task, tmp_path / "run", progress=False)
    train_in_folder(cfg, task, tmp_path / "run", progress=False)  # same weights: reused
    nudge_weights(start)
    changed = "trained from other starting weights: .*model.safetensors changed"
    with pytest.raises(ReasonlabError, match=changed):
        train_in_folder(cfg, task, tmp_path / "run", progress=False)
