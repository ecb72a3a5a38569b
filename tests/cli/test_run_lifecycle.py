"""One run-folder lifecycle for every command that writes a run (issue 14): validation before any
model or folder, resumes refused on changed data, default names that follow the data's contents,
and Ctrl-C as one line with exit code 130."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reasonlab.core.runs import Run
from tests.cli.test_cli import SMALL, run_cli

TESTBED = ["--model", "testbed:random", "--no-progress"]
NOWHERE = ["--source", "no/source", "--target", "no/target", "--no-progress"]
BAD_FLAGS = [
    pytest.param(["generate", *TESTBED, "--top-p", "1.5"], "--top-p must be in (0, 1]", id="generate"),
    pytest.param(["evaluate", *TESTBED, "--top-p", "1.5"], "--top-p must be in (0, 1]", id="evaluate"),
    pytest.param(["fractured", *TESTBED, "--top-p", "1.5"], "--top-p must be in (0, 1]", id="fractured"),
    pytest.param(["budget", *TESTBED, "--top-p", "1.5"], "--top-p must be in (0, 1]", id="budget"),
    pytest.param(["budget", *TESTBED, "--temperature", "-1"], "--temperature must be", id="budget-temp"),
    pytest.param(
        ["grounding", "eval", "--data", "no/set", "--num-samples", "0"],
        "--num-samples must be at least 1",
        id="grounding",
    ),
    pytest.param(["recsys", "train", *NOWHERE, "--lr", "0"], "--lr must be positive", id="recsys-train"),
    pytest.param(
        ["recsys", "bench", *NOWHERE, "--epochs", "0"], "--epochs must be at least 1", id="recsys-bench"
    ),
    pytest.param(["optim", "bench", "--rank", "0"], "--rank must be at least 1", id="optim-bench"),
]


@pytest.mark.parametrize("out", [None, "run"], ids=["default-out", "out"])
@pytest.mark.parametrize("args,message", BAD_FLAGS)
def test_a_bad_flag_fails_before_any_model_or_folder(monkeypatch, capsys, tmp_path, args, message, out):
    """`budget --top-p 1.5` loaded the model, then failed and left <out>.partial/ behind."""
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(monkeypatch, capsys, *args, *(["--out", out] if out else []))
    assert code == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    assert message in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # neither <out>, nor <out>.partial, nor runs/


def write_problems(path: Path, problems: list[tuple[str, str]]) -> None:
    path.write_text("".join(json.dumps({"problem": q, "answer": a}) + "\n" for q, a in problems))


PROBLEMS = [("1+1?", "2"), ("2+2?", "4"), ("3+3?", "6"), ("4+4?", "8")]


def interrupt_after_first_record(monkeypatch):
    add = Run.add

    def add_then_stop(self, record):  # Ctrl-C right after the first problem was checkpointed
        add(self, record)
        raise KeyboardInterrupt

    monkeypatch.setattr(Run, "add", add_then_stop)
    return lambda: monkeypatch.setattr(Run, "add", add)


def test_a_resume_on_an_edited_dataset_is_refused_and_a_touched_one_resumes(monkeypatch, capsys, tmp_path):
    data, out = tmp_path / "ds.jsonl", tmp_path / "x"
    write_problems(data, PROBLEMS)
    args = [
        "generate",
        *SMALL,
        "--num-problems",
        "4",
        "--dataset",
        str(data),
        "--chunk",
        "2",
        "--out",
        str(out),
    ]
    restore = interrupt_after_first_record(monkeypatch)
    code, _, err = run_cli(monkeypatch, capsys, *args)
    assert code == 130 and err == "interrupted: rerun the same command to resume\n"
    restore()
    inputs = json.loads((tmp_path / "x.partial" / "config.json").read_text())["inputs"]
    assert inputs["dataset"]["size"] == data.stat().st_size and len(inputs["dataset"]["sha256"]) == 64

    write_problems(data, [PROBLEMS[0], ("5+5?", "10"), *PROBLEMS[2:]])  # the user edits the data
    code, _, err = run_cli(monkeypatch, capsys, *args)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert f"cannot resume {out}: {data} changed since the run began (size " in err and "--overwrite" in err
    assert not out.exists() and len((tmp_path / "x.partial" / "samples.jsonl").read_text().splitlines()) == 1

    write_problems(data, PROBLEMS)  # the same contents again, with a new mtime (as `touch` gives)
    os.utime(data, (1e9, 1e9))
    code, stdout, err = run_cli(monkeypatch, capsys, *args)
    assert code == 0 and "resuming: 1 problems already done" in stdout, err
    assert [json.loads(line)["question"] for line in (out / "samples.jsonl").read_text().splitlines()] == [
        q for q, _ in PROBLEMS
    ]


def test_default_run_names_follow_the_datasets_contents(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "ds.jsonl"
    write_problems(data, PROBLEMS[:2])
    args = ["generate", *SMALL, "--dataset", "ds.jsonl"]
    assert run_cli(monkeypatch, capsys, *args)[0] == 0
    os.utime(data, (1e9, 1e9))  # a touch (or a fresh clone) finds the same run
    code, _, err = run_cli(monkeypatch, capsys, *args)
    assert code == 2 and "already exists" in err
    write_problems(data, [PROBLEMS[0], ("5+5?", "10")])  # edited data is another run
    code, _, err = run_cli(monkeypatch, capsys, *args)
    assert code == 0, err
    assert len(list((tmp_path / "runs").iterdir())) == 2


def test_recsys_run_ids_follow_the_inter_files(monkeypatch, capsys, tmp_path):
    from tests.cli.test_recsys_cli import GEN

    monkeypatch.chdir(tmp_path)
    assert run_cli(monkeypatch, capsys, "recsys", "synth", "--out", "d", *GEN)[0] == 0
    args = ["recsys", "train", "--source", "d/source", "--target", "d/target", "--model", "pop"]
    args += ["--epochs", "1", "--no-progress"]
    assert run_cli(monkeypatch, capsys, *args)[0] == 0
    (run,) = (tmp_path / "runs").iterdir()
    config = json.loads((run / "config.json").read_text())
    assert (
        set(config["inputs"]) == {"source", "target"}
        and "target.inter" in config["inputs"]["target"]["files"]
    )
    for p in (tmp_path / "d").rglob("*.inter"):
        os.utime(p, (1e9, 1e9))
    assert "already exists" in run_cli(monkeypatch, capsys, *args)[2]  # same contents, same run
    inter = tmp_path / "d" / "target" / "target.inter"
    lines = inter.read_text().splitlines()
    inter.write_text("\n".join(lines[:-1]) + "\n")  # one interaction fewer
    code, _, err = run_cli(monkeypatch, capsys, *args)
    assert code == 0, err
    assert len(list((tmp_path / "runs").iterdir())) == 2


OPTIM = ["optim", "bench", "--hidden", "32", "--mlp", "64", "--heads", "4", "--rank", "4"]
OPTIM += ["--ft-hidden", "32", "--ft-rank", "4", "--ft-steps", "2", "--ft-gaps", "1", "--no-progress"]


def test_optim_bench_writes_a_run_folder_through_partial(monkeypatch, capsys, tmp_path):
    import reasonlab.jobs.galore_bench as bench

    out = tmp_path / "bench"
    monkeypatch.setattr(bench, "run_all", lambda cfg, progress: (_ for _ in ()).throw(KeyboardInterrupt))
    code, _, err = run_cli(monkeypatch, capsys, *OPTIM, "--out", str(out))
    assert code == 130 and err == "interrupted\n"  # measurements do not resume
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    code, stdout, err = run_cli(monkeypatch, capsys, *OPTIM, "--out", str(out))
    assert code == 0, err
    assert {"config.json", "results.json", "report.md"} <= {p.name for p in out.iterdir()}
    assert json.loads((out / "config.json").read_text())["rank"] == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bench"]
    code, _, err = run_cli(monkeypatch, capsys, *OPTIM, "--out", str(out))
    assert code == 2 and "already exists (pass --overwrite" in err


def wait_for_first_record(partial: Path, proc: subprocess.Popen, timeout: float = 300) -> None:
    samples = partial / "samples.jsonl"
    deadline = time.monotonic() + timeout
    while not (samples.exists() and samples.read_text().count("\n") >= 1):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no sample written"
        time.sleep(0.02)


def as_from_a_shell() -> None:
    """Ctrl-C as a terminal delivers it: a child inherits a blocked or ignored SIGINT from its parent
    (worker pools of earlier tests in this process may leave either), which would swallow the signal."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_is_one_line_and_the_rerun_equals_an_uninterrupted_run(monkeypatch, capsys, tmp_path):
    args = ["generate", "--model", "testbed:draft", "--num-problems", "12", "-n", "2", "--max-tokens", "256"]
    args += ["--chunk", "1", "--no-progress"]
    out = tmp_path / "resumed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "reasonlab.cli.main", *args, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=as_from_a_shell,
    )
    wait_for_first_record(tmp_path / "resumed.partial", proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "interrupted: rerun the same command to resume"
    assert "Traceback" not in err and "Aborted" not in err and err.count("interrupted") == 1
    done = len((tmp_path / "resumed.partial" / "samples.jsonl").read_text().splitlines())
    assert 1 <= done < 12

    code, stdout, err = run_cli(monkeypatch, capsys, *args, "--out", str(out))
    assert code == 0 and f"resuming: {done} problems already done" in stdout, err
    assert run_cli(monkeypatch, capsys, *args, "--out", str(tmp_path / "fresh"))[0] == 0

    def records(name):
        rows = [json.loads(line) for line in (tmp_path / name / "samples.jsonl").read_text().splitlines()]
        return [{k: v for k, v in r.items() if k != "usage"} for r in rows]  # cache reuse may differ

    def summary(name):
        s = json.loads((tmp_path / name / "summary.json").read_text())
        return {k: v for k, v in s.items() if k not in ("usage", "flops", "wall_seconds_this_session")}

    assert records("resumed") == records("fresh") and summary("resumed") == summary("fresh")


def test_grounding_eval_refuses_to_resume_on_edited_predictions(monkeypatch, capsys, tmp_path):
    from tests.grounding.conftest import osworld_g

    data = osworld_g.__wrapped__(tmp_path)  # the grounding tests' three-sample OSWorld-G folder
    preds = tmp_path / "preds.jsonl"
    rows = [{"id": "b1", "point": [30, 30]}, {"id": "p1", "point": [10, 90]}, {"id": "r1", "point": [1, 1]}]
    preds.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "run"
    args = ["grounding", "eval", "--data", str(data), "--adapter", "file", "--predictions", str(preds)]
    args += ["--convention", "pixels", "--no-progress", "--out", str(out)]
    restore = interrupt_after_first_record(monkeypatch)
    code, _, err = run_cli(monkeypatch, capsys, *args)
    assert code == 130 and err == "interrupted: rerun the same command to resume\n"
    restore()
    preds.write_text("".join(json.dumps({**r, "point": [31, 30]}) + "\n" for r in rows))
    code, _, err = run_cli(monkeypatch, capsys, *args)
    assert code == 2 and f"cannot resume {out}: {preds} changed" in err and len(err.splitlines()) == 1
    code, stdout, err = run_cli(monkeypatch, capsys, *args, "--overwrite")
    assert code == 0 and "resuming" not in stdout, err
    config = json.loads((out / "config.json").read_text())
    assert (
        set(config["inputs"]) == {"data", "predictions"}
        and "images/a.png" in config["inputs"]["data"]["files"]
    )


@pytest.mark.parametrize("umask", [0o022, 0o077], ids=["umask022", "umask077"])
def test_every_written_file_follows_the_umask(monkeypatch, capsys, tmp_path, umask):
    """config.json, summary.json, plots and .inter files were 0600 while samples.jsonl was 0644."""
    from tests.cli.test_recsys_cli import GEN

    old = os.umask(umask)
    try:
        assert run_cli(monkeypatch, capsys, "recsys", "synth", "--out", str(tmp_path / "pair"), *GEN)[0] == 0
        assert run_cli(monkeypatch, capsys, "generate", *SMALL, "--out", str(tmp_path / "run"))[0] == 0
    finally:
        os.umask(old)
    modes = {str(p.relative_to(tmp_path)): p.stat().st_mode & 0o777 for p in tmp_path.rglob("*")}
    assert {"pair/target/target.inter", "run/config.json", "run/lengths.png", "run/samples.jsonl"} <= set(
        modes
    )
    assert modes == {p: (0o777 if (tmp_path / p).is_dir() else 0o666) & ~umask for p in modes}
