import json

import pytest

from tests.cli.test_cli import run_cli

GEN = ["--set", "source_users=120", "--set", "target_users=120", "--set", "source_items=60"]
GEN += ["--set", "target_items=50", "--set", "mean_interactions=10"]


@pytest.fixture()
def pair(monkeypatch, capsys, tmp_path):
    code, _, err = run_cli(monkeypatch, capsys, "recsys", "synth", "--out", str(tmp_path / "d"), *GEN)
    assert code == 0, err
    return ["--source", str(tmp_path / "d" / "source"), "--target", str(tmp_path / "d" / "target")]


def test_synth_train_and_bench_write_their_run_folders(monkeypatch, capsys, tmp_path, pair):
    out = tmp_path / "train"
    args = ["recsys", "train", *pair, "--epochs", "2", "--out", str(out), "--no-progress", "--set", "dim=8"]
    code, stdout, err = run_cli(monkeypatch, capsys, *args)
    assert code == 0, err
    assert {"summary.json", "report.md", "training.png", "user_vectors.npy", "item_vectors.npy"} <= {
        p.name for p in out.iterdir()
    }
    assert "checkpoint.pt" not in {p.name for p in out.iterdir()}
    assert "](training.png)" in (out / "report.md").read_text()
    summary = json.loads(out.joinpath("summary.json").read_text())
    assert summary["data"]["cold_start_users"] > 0 and "cold/ndcg@10" in summary["test"]
    assert "exceeds" not in stdout  # 50 items: K=50 is allowed
    code, stdout, _ = run_cli(monkeypatch, capsys, *args, "--ks", "10,80", "--overwrite")
    assert code == 0 and "K=80 exceeds the 50 target items: clamped to 50" in " ".join(stdout.split())
    bench = tmp_path / "bench"
    args = ["recsys", "bench", *pair, "--models", "pop,bprmf", "--seeds", "0,1", "--epochs", "1"]
    code, stdout, err = run_cli(monkeypatch, capsys, *args, "--out", str(bench), "--no-progress")
    assert code == 0, err
    summary = json.loads(bench.joinpath("summary.json").read_text())
    assert summary["models"]["bprmf"]["seeds"] == [0, 1] and "faiss_flat_qps" in summary["retrieval"]
    assert (bench / "loss_stability.png").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--model", "nope"], "unknown model 'nope'"),
        (["--pacing", "fast"], "unknown pacing 'fast'"),
        (["--set", "dim=big"], "option 'dim' expects an integer"),
        (["--epochs", "0"], "epochs must be at least 1"),
    ],
)
def test_bad_recsys_options_are_one_line_errors(monkeypatch, capsys, tmp_path, pair, args, message):
    out = tmp_path / "run"
    code, _, err = run_cli(monkeypatch, capsys, "recsys", "train", *pair, *args, "--out", str(out))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and not out.with_name("run.partial").exists()


def test_synth_refuses_impossible_settings(monkeypatch, capsys, tmp_path):
    code, _, err = run_cli(
        monkeypatch, capsys, "recsys", "synth", "--out", str(tmp_path), "--set", "overlap=2"
    )
    assert code == 2 and "overlap must be in (0, 1]" in err
