"""Data parallelism through accelerate: two processes on CPU (gloo) give the one-process update."""

import json
import os
import socket
import subprocess
import sys
import textwrap

import pytest
import torch
from transformers import AutoModelForCausalLM

from reasonlab.testbed.config import TrainConfig
from reasonlab.testbed.train import train

SCRIPT = textwrap.dedent(
    """
    import sys
    from reasonlab.testbed.config import TrainConfig
    from reasonlab.testbed.train import train
    out, work = sys.argv[1:3]
    cfg = TrainConfig(model="draft", compile=False, steps=2, bf16=False, out=out, work_dir=work)
    train(cfg, progress=False)
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


LAUNCHER = os.path.join(os.path.dirname(sys.executable), "accelerate")


@pytest.mark.skipif(not os.path.exists(LAUNCHER), reason="accelerate's launcher is not installed")
def test_two_processes_train_the_weights_one_process_trains(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run(
        [LAUNCHER, "launch", "--cpu", "--num_processes", "2", "--num_machines", "1",
         "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", str(_free_port()),
         str(script), str(tmp_path / "dp"), str(tmp_path / "dp-work")],
        check=True, env=env, capture_output=True, timeout=600,
    )  # fmt: skip
    one = train(
        TrainConfig(
            model="draft",
            compile=False,
            steps=2,
            bf16=False,
            out=str(tmp_path / "one"),
            work_dir=str(tmp_path / "w"),
        ),
        progress=False,
    )
    a = AutoModelForCausalLM.from_pretrained(one).state_dict()
    b = AutoModelForCausalLM.from_pretrained(tmp_path / "dp").state_dict()
    for name in a:
        assert torch.allclose(a[name], b[name], atol=1e-6), name
    # the logged loss is the whole batch's token mean, as one process logs it
    losses = [json.loads((f / "training_log.json").read_text())["history"] for f in (one, tmp_path / "dp")]
    assert [h["loss"] for h in losses[0]] == pytest.approx([h["loss"] for h in losses[1]], abs=1e-6)
