"""`reasonlab testbed train` as a user runs it: it writes a run folder and never the shipped models."""

import json

import pytest

from tests.cli_runner import run_cli
from tests.testbed.conftest import tree_hashes

FAST = ["--model", "draft", "--steps", "2", "--no-compile", "--no-progress"]


def test_training_writes_a_run_folder_and_leaves_the_shipped_models_byte_identical(
    shipped, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    before = tree_hashes(shipped)
    code, out, err = run_cli(monkeypatch, capsys, "testbed", "train", *FAST)
    assert code == 0, err
    assert tree_hashes(shipped) == before
    model = tmp_path / "runs" / "testbed-draft" / "model"
    assert {"config.json", "model.safetensors", "tokenizer.json", "training_log.json", "loss_curve.png"} <= {
        p.name for p in model.iterdir()
    }
    assert json.loads((model / "training_log.json").read_text())["steps"] == 2
    assert (tmp_path / "runs" / "testbed-draft" / "checkpoint.pt").is_file()
    assert "2 of the recipe's 1400 steps: `reasonlab testbed ship` takes full runs" in " ".join(out.split())


def test_a_finished_model_folder_is_replaced_only_with_overwrite(shipped, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    out = ["--out", str(tmp_path / "m"), "--work-dir", str(tmp_path / "w")]
    assert run_cli(monkeypatch, capsys, "testbed", "train", *FAST, *out)[0] == 0
    first = tree_hashes(tmp_path / "m")
    code, _, err = run_cli(monkeypatch, capsys, "testbed", "train", *FAST, *out)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--overwrite" in err, err
    assert tree_hashes(tmp_path / "m") == first
    # With --overwrite the model folder is rewritten (training resumes from the finished checkpoint).
    code, stdout, err = run_cli(monkeypatch, capsys, "testbed", "train", *FAST, *out, "--overwrite")
    assert code == 0, err
    assert "resuming from step 2" in stdout
    assert (tmp_path / "m" / "model.safetensors").is_file()
    # A checkpoint past --steps would otherwise be saved as a 1-step model.
    short = ["--steps", "1", "--out", str(tmp_path / "m1"), "--work-dir", str(tmp_path / "w")]
    code, _, err = run_cli(monkeypatch, capsys, "testbed", "train", *FAST, *short)
    assert code == 2 and "--steps 1" in err and "step 2" in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "m1").exists()


def test_a_folder_testbed_train_did_not_write_is_never_replaced(shipped, tmp_path, monkeypatch, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    for extra in ([], ["--overwrite"]):
        code, _, err = run_cli(
            monkeypatch,
            capsys,
            "testbed",
            "train",
            *FAST,
            "--out",
            str(mine),
            "--work-dir",
            str(tmp_path / "w"),
            *extra,
        )
        assert code == 2 and len(err.strip().splitlines()) == 1, err
        assert (mine / "notes.txt").read_text() == "keep me"


def test_training_into_the_package_is_refused_and_points_to_ship(shipped, tmp_path, monkeypatch, capsys):
    before = tree_hashes(shipped)
    for out in (shipped / "draft", shipped / "new"):
        code, _, err = run_cli(
            monkeypatch,
            capsys,
            "testbed",
            "train",
            *FAST,
            "--out",
            str(out),
            "--work-dir",
            str(tmp_path / "w"),
            "--overwrite",
        )
        assert code == 2 and "reasonlab testbed ship" in err and len(err.strip().splitlines()) == 1, err
    assert tree_hashes(shipped) == before and not (tmp_path / "w").exists()


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--steps", "0"),
        ("--steps", "-1"),
        ("--checkpoint-every", "0"),
        ("--checkpoint-every", "-5"),
        ("--seed", str(2**64)),
    ],
)
def test_counts_below_one_are_a_one_line_error_naming_the_flag(
    shipped, tmp_path, monkeypatch, capsys, flag, value
):
    monkeypatch.chdir(tmp_path)
    args = ["--model", "draft", "--no-compile", "--no-progress", flag, value]
    code, _, err = run_cli(monkeypatch, capsys, "testbed", "train", *args)
    assert code == 2 and err.startswith(f"error: {flag} ") and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "runs").exists()  # refused before anything was created
