"""Bad input a new user hit (issue 14) that gave tracebacks or silently did nothing: each must end
in one line on stderr, exit code 2, and leave no run or data folder behind."""

import json
import os
from pathlib import Path

import pytest

from reasonlab.recsys.synth import SynthConfig, write_pair
from tests.cli.test_cli import SMALL, run_cli

SYNTH = ["--set", "source_users=120", "--set", "target_users=120", "--set", "source_items=60"]
SYNTH += ["--set", "target_items=50", "--set", "mean_interactions=10"]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    small = SynthConfig(
        source_users=120, target_users=120, source_items=60, target_items=50, mean_interactions=10
    )
    source, target = write_pair(small, tmp_path_factory.mktemp("bad-input") / "pair")
    return ["--source", str(source), "--target", str(target)]


def one_line_exit_2(code: int, err: str, message: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: "), err
    assert message in err, err


def leftovers(tmp_path: Path) -> list[str]:
    """Everything a failed command left in its scratch folder, apart from the test's own `file`."""
    return sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.name != "file")


RECSYS = ["recsys", "train", "{pair}", "--epochs", "1", "--no-progress", "--out", "{tmp}/run"]
GENERATE = ["generate", *SMALL]
FILE_RUN = ["--out", "{tmp}/file/run"]  # a run folder asked for under a regular file
CASES = [
    # recsys: a cold-start share outside [0, 1) reached numpy's sampler
    pytest.param(
        RECSYS + ["--cold-ratio", "1.5"], "--cold-ratio must be in [0, 1), got 1.5", id="cold-ratio>1"
    ),
    pytest.param(
        RECSYS + ["--cold-ratio", "-0.5"], "--cold-ratio must be in [0, 1), got -0.5", id="cold-ratio<0"
    ),
    pytest.param(RECSYS + ["--batch-size", "0"], "--batch-size must be at least 1, got 0", id="batch-size"),
    # tasks sample: a negative start was an IndexError; n < 1 or a start past the end printed nothing
    pytest.param(["tasks", "sample", "arith", "--start", "-1"], "--start must be at least 0", id="start<0"),
    pytest.param(
        ["tasks", "sample", "arith", "--num-problems", "0"],
        "--num-problems must be at least 1, got 0",
        id="sample-num-problems0",
    ),
    # -n means samples per problem in every command; tasks sample's old -n says where it went
    pytest.param(["tasks", "sample", "arith", "-n", "2"], "-n was renamed --num-problems", id="sample-old-n"),
    # grounding's items are benchmark samples: --num-samples in eval (was --limit) and synth (was --n)
    pytest.param(
        ["grounding", "eval", "--data", "x", "--limit", "2"],
        "error: --limit was renamed --num-samples",
        id="grounding-old-limit",
    ),
    pytest.param(
        ["grounding", "synth", "--n", "2", "--out", "{tmp}/set"],
        "error: --n was renamed --num-samples",
        id="grounding-synth-old-n",
    ),
    pytest.param(
        ["tasks", "sample", "arith", "--start", "100000"],
        "--start 100000 is past the end: task arith has 100000 problems (0 to 99999)",
        id="start-past-end",
    ),
    pytest.param(
        ["tasks", "sample", "arith", "--set", "size=5", "--start", "5"],
        "--start 5 is past the end: task arith has 5 problems (0 to 4)",
        id="start-past-small-task",
    ),
    # generate: a device torch cannot parse was a RuntimeError once the model had loaded
    pytest.param(
        GENERATE + ["--device", "foo", "--out", "{tmp}/run"], "--device 'foo' is not a device", id="device"
    ),
    # --out where no folder can be made was NotADirectoryError from mkdir
    pytest.param(
        GENERATE + FILE_RUN, "cannot create run folder {tmp}/file/run: {tmp}/file is a file", id="gen-out"
    ),
    pytest.param(
        GENERATE + ["--out", "{tmp}/file", "--overwrite"],
        "{tmp}/file is a file, not a run folder",
        id="gen-out-file",
    ),
    pytest.param(
        ["budget", "--model", "testbed:random", "--num-problems", "1", "-n", "1", "--thinking", "4"]
        + ["--no-progress", *FILE_RUN],
        "cannot create run folder {tmp}/file/run: {tmp}/file is a file, not a folder",
        id="budget-out",
    ),
    pytest.param(
        ["recsys", "synth", *SYNTH, "--out", "{tmp}/file/pair"],
        "cannot create data folder {tmp}/file/pair: {tmp}/file is a file, not a folder",
        id="recsys-synth-out",
    ),
    pytest.param(
        ["grounding", "synth", "--num-samples", "2", "--out", "{tmp}/file/set"],
        "cannot create data folder {tmp}/file/set: {tmp}/file is a file, not a folder",
        id="grounding-synth-out",
    ),
    # messages name the flag a user typed, not the config's Python field
    pytest.param(
        GENERATE + ["--num-problems", "0", "--out", "{tmp}/run"],
        "error: --num-problems must be at least 1",
        id="num-problems",
    ),
    pytest.param(GENERATE + ["-n", "0", "--out", "{tmp}/run"], "error: -n must be at least 1", id="n"),
    pytest.param(
        GENERATE + ["--top-p", "1.5", "--out", "{tmp}/run"], "error: --top-p must be in (0, 1]", id="top-p"
    ),
    pytest.param(
        GENERATE + ["--thinking-budget", "100", "--out", "{tmp}/run"],
        "error: --thinking-budget must be -1 or in [1, --max-tokens)",
        id="thinking-budget",
    ),
    pytest.param(
        ["fractured", "--model", "testbed:random", "-H", "0", "--out", "{tmp}/run"],
        "error: -H must be at least 1",
        id="H",
    ),
    pytest.param(
        ["grounding", "synth", "--num-samples", "0", "--out", "{tmp}/set"],
        "error: --num-samples and --per-page must be at least 1",
        id="synth-n",
    ),
]


@pytest.mark.parametrize("args,message", CASES)
def test_bad_input_is_one_line_exit_2_and_leaves_nothing(monkeypatch, capsys, tmp_path, pair, args, message):
    (tmp_path / "file").write_text("a regular file\n")
    argv = []
    for a in args:
        argv += pair if a == "{pair}" else [a.format(tmp=tmp_path)]
    code, _, err = run_cli(monkeypatch, capsys, *argv)
    one_line_exit_2(code, err, message.format(tmp=tmp_path))
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_an_unwritable_out_names_the_path_and_the_os_reason(monkeypatch, capsys):
    code, _, err = run_cli(monkeypatch, capsys, "generate", *SMALL, "--out", "/proc/forbidden")
    one_line_exit_2(code, err, "cannot create run folder /proc/forbidden: ")
    assert err.strip().endswith(os.strerror(2))  # ENOENT: what mkdir answers under /proc


def test_recsys_synth_keeps_an_existing_data_folder_unless_told(monkeypatch, capsys, tmp_path):
    out = tmp_path / "pair"
    assert run_cli(monkeypatch, capsys, "recsys", "synth", *SYNTH, "--out", str(out))[0] == 0
    first = (out / "target" / "target.inter").read_bytes()
    (out / "mine.txt").write_text("a user's file")
    code, _, err = run_cli(
        monkeypatch, capsys, "recsys", "synth", *SYNTH, "--set", "seed=1", "--out", str(out)
    )
    one_line_exit_2(code, err, f"data folder {out} already exists (pass --overwrite to replace it)")
    assert (out / "target" / "target.inter").read_bytes() == first and (out / "mine.txt").exists()
    args = ["recsys", "synth", *SYNTH, "--set", "seed=1", "--out", str(out), "--overwrite"]
    assert run_cli(monkeypatch, capsys, *args)[0] == 0
    assert (out / "target" / "target.inter").read_bytes() != first and not (out / "mine.txt").exists()
    assert json.loads((out / "synth.json").read_text())["seed"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pair"]  # no .partial sibling left


def test_an_interrupted_recsys_synth_leaves_no_half_written_folder(monkeypatch, capsys, tmp_path):
    import reasonlab.recsys.synth as synth

    written = []

    def write_then_stop(path, columns):  # Ctrl-C after the source domain was written
        if written:
            raise KeyboardInterrupt
        written.append(path)
        original(path, columns)

    original = synth.write_atomic_file
    monkeypatch.setattr(synth, "write_atomic_file", write_then_stop)
    code, _, _ = run_cli(monkeypatch, capsys, "recsys", "synth", *SYNTH, "--out", str(tmp_path / "pair"))
    assert code == 130 and written
    assert list(tmp_path.iterdir()) == []


def test_grounding_synth_keeps_an_existing_data_folder_unless_told(monkeypatch, capsys, tmp_path):
    out = tmp_path / "set"
    out.mkdir()
    (out / "OSWorld-G.json").write_text("[]")
    code, _, err = run_cli(monkeypatch, capsys, "grounding", "synth", "--num-samples", "2", "--out", str(out))
    one_line_exit_2(code, err, f"data folder {out} already exists (pass --overwrite to replace it)")
    assert (out / "OSWorld-G.json").read_text() == "[]"
    args = ["grounding", "synth", "--num-samples", "2", "--per-page", "2", "--no-progress", "--out", str(out)]
    code, _, err = run_cli(monkeypatch, capsys, *args, "--overwrite")
    assert code == 0, err
    assert len(json.loads((out / "OSWorld-G.json").read_text())) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set"]


def test_an_empty_out_folder_is_not_data_to_protect(tmp_path):
    """`tmp_path_factory.mktemp()` and `mkdir -p` leave empty folders: writing into one is no loss."""
    small = SynthConfig(
        source_users=60, target_users=60, source_items=40, target_items=30, mean_interactions=8
    )
    source, _ = write_pair(small, tmp_path)
    assert (source / "source.inter").exists()
