"""`reasonlab rsd` as a user runs it: a small sweep with every baseline, resume, bad input."""

import json

import pytest

from reasonlab.prm.config import PRMTrainConfig
from reasonlab.prm.train import build_prm
from tests.cli_runner import run_cli


@pytest.fixture(scope="module")
def prm_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("prm") / "prm"
    prm = build_prm(PRMTrainConfig(init="testbed:draft"))
    prm.save_pretrained(folder)
    return folder


def _rsd(monkeypatch, capsys, prm_folder, out, *extra):
    return run_cli(
        monkeypatch, capsys, "rsd", "--prm", str(prm_folder), "--num-problems", "3", "--chunk", "2",
        "--max-tokens", "48", "--best-of", "1,2", "--out", str(out), "--no-progress", *extra,
    )  # fmt: skip


def test_a_sweep_with_every_baseline_writes_a_table_and_a_plot(monkeypatch, capsys, tmp_path, prm_folder):
    code, out, _ = _rsd(monkeypatch, capsys, prm_folder, tmp_path / "run", "--delta", "0,1")
    assert code == 0, out
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    methods = summary["methods"]
    assert set(methods) == {
        "rsd delta=0", "rsd delta=1", "target only", "draft only", "best-of-1", "best-of-2", "assisted",
    }  # fmt: skip
    # the two ends of delta are the draft alone and the target alone, so are their answers
    assert methods["rsd delta=0"]["accuracy"] == methods["draft only"]["accuracy"]
    assert (
        methods["rsd delta=0"]["draft_step_share"] == 1.0 and methods["rsd delta=1"]["draft_step_share"] == 0
    )
    assert methods["rsd delta=1"]["accuracy"] == methods["target only"]["accuracy"]
    assert methods["target only"]["flops_vs_target"] == 1.0
    assert methods["rsd delta=0"]["flops_vs_target"] < 1  # the draft is smaller
    # the official code's count, generated tokens only: RSD at delta 0 generates the draft's solutions
    # token for token; at delta 1 the target writes every step after the draft wrote it in vain
    generated = {k: m["generated_flops_per_problem"] for k, m in methods.items()}
    assert generated["rsd delta=0"] == generated["draft only"]
    assert generated["rsd delta=1"] > generated["target only"]
    assert generated["target only"] < methods["target only"]["flops_per_problem"]  # the prompt's prefill
    assert (tmp_path / "run" / "accuracy_vs_flops.png").exists() and "| rsd delta=0 |" in out
    code, out, err = _rsd(monkeypatch, capsys, prm_folder, tmp_path / "run", "--delta", "0,1")
    assert code == 2 and "already exists" in out + err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--delta", "1.5"], "--delta '1.5': each threshold must be in [0, 1]"),
        (["--delta", "a"], "--delta 'a': expected numbers"),
        (["--baselines", "beam"], "--baselines: unknown beam"),
        (["--weighting", "soft"], "--weighting 'soft'"),
        (["--dtype", "half"], "--dtype 'half': choose from auto"),
    ],
)
def test_bad_input_is_one_line(monkeypatch, capsys, tmp_path, prm_folder, args, message):
    code, out, err = _rsd(monkeypatch, capsys, prm_folder, tmp_path / "x", *args)
    assert code == 2 and message in out + err and "Traceback" not in out + err
    assert not (tmp_path / "x").exists()


def test_a_dataset_runs_and_an_empty_one_or_a_prm_of_other_steps_is_refused(
    monkeypatch, capsys, tmp_path, prm_folder
):
    import dataclasses

    from reasonlab.rewards.prm import load_prm

    data = tmp_path / "two.jsonl"
    data.write_text('{"problem": "Compute 2+3 from left to right.", "answer": "5"}\n' * 2)
    code, out, _ = _rsd(
        monkeypatch, capsys, prm_folder, tmp_path / "ds", "--dataset", str(data), "--baselines", ""
    )
    assert code == 0, out
    assert (
        json.loads((tmp_path / "ds" / "summary.json").read_text())["methods"]["rsd delta=0.7"]["problems"]
        == 2
    )
    (tmp_path / "empty.jsonl").write_text("")
    code, out, err = _rsd(
        monkeypatch, capsys, prm_folder, tmp_path / "e", "--dataset", str(tmp_path / "empty.jsonl")
    )
    assert code == 2 and "no problems" in out + err and not (tmp_path / "e").exists()
    other = load_prm(str(prm_folder))
    other.layout = dataclasses.replace(other.layout, step_separator="\n")
    other.save_pretrained(tmp_path / "prm-newline")
    code, out, err = _rsd(monkeypatch, capsys, tmp_path / "prm-newline", tmp_path / "n")
    assert code == 2 and "RSD's steps end at" in out + err
