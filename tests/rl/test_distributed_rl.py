"""RL under `accelerate launch`: two processes on CPU (gloo) sample their share of the prompts and
split every mini-batch, and end with the policy and the metrics one process gets."""

import json
import os
import socket
import subprocess
import sys

import pytest
import torch
from transformers import AutoModelForCausalLM

from reasonlab.models.loading import resolve_model_path

LAUNCHER = os.path.join(os.path.dirname(sys.executable), "accelerate")
REASONLAB = os.path.join(os.path.dirname(sys.executable), "reasonlab")
# 3 prompts: one process samples two, the other one; 2 mini-batches of unequal token counts, each
# process's rows of one in micro-batches of 2. Vanilla Reinforce: with 24 tokens every answer is
# wrong, and its advantages (the rewards) still move the policy.
ARGS = ["rl", "train", "--algo", "reinforce", "--model", "testbed:draft", "--steps", "2",
        "--prompts-per-step", "3",
        "--num-generations", "3", "--max-tokens", "24", "--mini-batches", "2", "--micro-batch-size", "2",
        "--learning-rate", "1e-3",
        "--temperature", "3.0", "--no-progress"]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not os.path.exists(LAUNCHER), reason="accelerate's launcher is not installed")
def test_two_processes_train_the_policy_one_process_trains(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [LAUNCHER, "launch", "--cpu", "--num_processes", "2", "--num_machines", "1",
         "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", str(_free_port()),
         REASONLAB, *ARGS, "--out", str(tmp_path / "dp")],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("last 10 steps") == 1  # one process reports
    # one process, with one thread as each of the two had: the same float sums
    subprocess.run([REASONLAB, *ARGS, "--out", str(tmp_path / "one")], env=env, check=True, timeout=600)
    a = AutoModelForCausalLM.from_pretrained(tmp_path / "one" / "model").state_dict()
    b = AutoModelForCausalLM.from_pretrained(tmp_path / "dp" / "model").state_dict()
    start = AutoModelForCausalLM.from_pretrained(resolve_model_path("testbed:draft")).state_dict()
    assert any(not torch.allclose(a[name], start[name]) for name in a)  # the policy moved
    for name in a:
        assert torch.allclose(a[name], b[name], atol=1e-5), name
    metrics = [
        [json.loads(line) for line in (tmp_path / run / "metrics.jsonl").read_text().splitlines()]
        for run in ("one", "dp")
    ]
    for key in (
        "reward",
        "accuracy",
        "response_length",
        "loss",
        "kl",
        "entropy",
        "clip_fraction",
        "grad_norm",
    ):
        assert [m[key] for m in metrics[0]] == pytest.approx([m[key] for m in metrics[1]], abs=1e-5), key
