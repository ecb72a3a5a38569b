"""`reasonlab prm data` then `reasonlab prm train`, as a user runs them, and their bad input."""

import json

import pytest

from reasonlab.rewards.prm import load_prm
from tests.cli_runner import run_cli


def test_data_then_train_gives_a_loadable_prm_with_held_out_figures(monkeypatch, capsys, tmp_path):
    data = tmp_path / "data"
    code, out, _ = run_cli(
        monkeypatch, capsys, "prm", "data", "--models", "testbed:draft", "--num-problems", "2", "-n", "2",
        "--max-tokens", "64", "--out", str(data), "--no-progress",
    )  # fmt: skip
    assert code == 0, out
    assert "4 solutions" in out and (data / "steps.jsonl").exists()
    summary = json.loads((data / "summary.json").read_text())
    assert summary["by_policy"]["testbed:draft"]["solutions"] == 4
    run = tmp_path / "prm"
    code, out, _ = run_cli(
        monkeypatch, capsys, "prm", "train", "--data", str(data / "steps.jsonl"),
        "--eval-data", str(data / "steps.jsonl"), "--steps", "3", "--batch-size", "2", "--out", str(run),
        "--no-progress",
    )  # fmt: skip
    assert code == 0, out
    assert "ProcessBench F1" in out and (run / "curves.png").exists()
    assert not (run / "checkpoint.pt").exists()
    prm = load_prm(str(run / "model"))
    assert prm.layout.step_separator == "\n\n" and prm.layout.head == "value"


@pytest.mark.parametrize(
    "args, message",
    [
        (["train"], "--data is required"),
        (["train", "--data", "nowhere.jsonl"], "nowhere.jsonl: no such file"),
        (["train", "--data", "x.jsonl", "--head", "linear"], "--head 'linear': choose from value, two-class"),
        (["data", "--temperature", "0"], "--temperature 0.0: must be > 0"),
        (["data", "--models", ""], "--models is empty"),
        (["data", "--dataset", "d.jsonl"], "--dataset needs --labels monte-carlo"),
    ],
)
def test_bad_input_is_one_line(monkeypatch, capsys, tmp_path, args, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(monkeypatch, capsys, "prm", *args, "--no-progress")
    assert code == 2 and message in out + err, out + err
    assert "Traceback" not in out + err


def test_a_dataset_gets_monte_carlo_labels(monkeypatch, capsys, tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text('{"problem": "Compute 2+3 from left to right.", "answer": "5"}\n')
    code, out, _ = run_cli(
        monkeypatch, capsys, "prm", "data", "--models", "testbed:draft", "--dataset", str(data),
        "--labels", "monte-carlo", "--rollouts", "2", "-n", "1", "--max-tokens", "48",
        "--out", str(tmp_path / "mc"), "--no-progress",
    )  # fmt: skip
    assert code == 0, out
    assert "1 solutions" in out and (tmp_path / "mc" / "steps.jsonl").exists()


def test_a_resume_after_the_policy_was_retrained_is_refused(monkeypatch, capsys, tmp_path):
    import shutil

    from reasonlab.models.loading import resolve_model_path
    from tests.rl.test_trainer import nudge_weights

    policy, data = tmp_path / "policy", tmp_path / "data"
    shutil.copytree(resolve_model_path("testbed:draft"), policy)
    args = ["prm", "data", "--models", str(policy), "--num-problems", "1", "-n", "1", "--max-tokens", "32"]
    code, out, _ = run_cli(monkeypatch, capsys, *args, "--out", str(data), "--no-progress")
    assert code == 0, out
    data.rename(tmp_path / "data.partial")  # as an interrupted run leaves it
    nudge_weights(policy)
    code, out, err = run_cli(monkeypatch, capsys, *args, "--out", str(data), "--no-progress")
    assert code == 2 and "cannot resume" in out + err and "model.safetensors changed" in out + err, out + err
    assert not data.exists()
