import json
import shutil
import subprocess
import sys

import pytest

from tests.cli_runner import run_cli

SMALL = ["--model", "testbed:random", "--num-problems", "2", "-n", "2", "--max-tokens", "24", "--no-progress"]


def test_generate_writes_a_complete_run_folder(monkeypatch, capsys, tmp_path):
    out = tmp_path / "run"
    code, stdout, err = run_cli(monkeypatch, capsys, "generate", *SMALL, "--out", str(out))
    assert code == 0, err
    assert {"config.json", "samples.jsonl", "summary.json", "lengths.png", "report.md"} <= {
        p.name for p in out.iterdir()
    }
    summary = json.loads((out / "summary.json").read_text())
    records = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert summary["problems"] == 2 and len(records) == 2 and all(len(r["samples"]) == 2 for r in records)
    assert summary["usage"]["generated"] == sum(s["tokens"] for r in records for s in r["samples"])
    assert "pass@1" in stdout
    # The random model never writes \boxed{}: a score of 0 must not pass for a measurement.
    assert any("no sample reached an answer" in w for w in summary["warnings"])
    report = (out / "report.md").read_text()
    assert "**Warning:** no sample reached an answer" in report and "](lengths.png)" in report


def test_generate_resumes_an_interrupted_run(monkeypatch, capsys, tmp_path):
    out = tmp_path / "run"
    assert run_cli(monkeypatch, capsys, "generate", *SMALL, "--out", str(out))[0] == 0
    # Simulate an interruption after the first problem: put the run back into its partial state.
    partial = tmp_path / "run.partial"
    out.rename(partial)
    lines = (partial / "samples.jsonl").read_text().splitlines()
    (partial / "samples.jsonl").write_text(lines[0] + "\n")
    (partial / "summary.json").unlink()
    code, stdout, _ = run_cli(monkeypatch, capsys, "generate", *SMALL, "--out", str(out))
    assert code == 0 and "resuming: 1 problems already done" in stdout
    again = (out / "samples.jsonl").read_text().splitlines()
    assert again[0] == lines[0] and len(again) == 2


def test_thinking_budget_forces_the_close(monkeypatch, capsys, tmp_path):
    out = tmp_path / "run"
    code, _, err = run_cli(
        monkeypatch, capsys, "generate", *SMALL, "--thinking-budget", "8", "--out", str(out)
    )
    assert code == 0, err
    records = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert all(s["thinking_tokens"] <= 8 for r in records for s in r["samples"])


def test_generate_on_a_jsonl_dataset(monkeypatch, capsys, tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text('{"problem": "1+1?", "answer": "2"}\n{"problem": "2+2?", "answer": "4"}\n')
    code, _, err = run_cli(
        monkeypatch, capsys, "generate", *SMALL, "--dataset", str(data), "--out", str(tmp_path / "r")
    )
    assert code == 0, err


@pytest.mark.parametrize(
    "args,message",
    [
        (["--model", "/no/such/model"], "model not found: /no/such/model"),
        (["--task", "algebra"], "unknown task 'algebra'"),
        (["--top-p", "1.5"], "--top-p must be in (0, 1]"),
        (["--top-p", "0"], "--top-p must be in (0, 1]"),
        (["-n", "0"], "n must be at least 1"),
        (["--max-tokens", "0"], "--max-tokens must be at least 1"),
        (["--set", "steps"], "--set expects key=value"),
        (["--set", "depth=3"], "task 'arith' has no option 'depth'"),
        (["--engine", "tgi"], "unknown engine 'tgi'"),
        (
            ["--thinking-budget", "100", "--max-tokens", "50"],
            "--thinking-budget must be -1 or in [1, --max-tokens)",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_run_folder(monkeypatch, capsys, tmp_path, args, message):
    out = tmp_path / "run"
    code, _, err = run_cli(monkeypatch, capsys, "generate", *SMALL, *args, "--out", str(out))
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ") and message in err
    assert "Traceback" not in err
    assert not out.exists() and not (tmp_path / "run.partial").exists()


def test_malformed_jsonl_names_the_line(monkeypatch, capsys, tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text('{"problem": "1+1?", "answer": "2"}\n{"problem": oops}\n')
    code, _, err = run_cli(
        monkeypatch, capsys, "generate", *SMALL, "--dataset", str(data), "--out", str(tmp_path / "r")
    )
    assert code == 2 and f"{data}:2: invalid JSON" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_model_without_markers_when_a_budget_needs_them(monkeypatch, capsys, tmp_path, tiny):
    from reasonlab.testbed.random_model import random_llama
    from tests.models.test_think import plain_tokenizer

    tok = plain_tokenizer()
    tok.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    model, _ = random_llama(hidden=32, layers=1, heads=2, kv_heads=1)
    model.resize_token_embeddings(len(tok))
    model.save_pretrained(tmp_path / "plain")
    tok.save_pretrained(tmp_path / "plain")
    code, _, err = run_cli(
        monkeypatch,
        capsys,
        "generate",
        *SMALL,
        "--model",
        str(tmp_path / "plain"),
        "--thinking-budget",
        "5",
        "--out",
        str(tmp_path / "r"),
    )
    assert code == 2 and "has no thinking markers" in err and "--think-open/--think-close" in err
    assert not (tmp_path / "r").exists()


def test_existing_run_folder_is_not_clobbered(monkeypatch, capsys, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    code, _, err = run_cli(monkeypatch, capsys, "generate", *SMALL, "--out", str(out))
    assert code == 2 and "already exists" in err


def test_tasks_and_models_commands(monkeypatch, capsys):
    assert "arith" in run_cli(monkeypatch, capsys, "tasks", "list")[1]
    assert "modulus" in run_cli(monkeypatch, capsys, "tasks", "show", "arith")[1]
    code, out, _ = run_cli(
        monkeypatch, capsys, "tasks", "sample", "arith", "--num-problems", "1", "--set", "steps=2"
    )
    assert code == 0 and "Compute" in out and "reference thinking" in out
    assert "testbed:random" in run_cli(monkeypatch, capsys, "models", "list")[1]
    code, _, err = run_cli(monkeypatch, capsys, "tasks", "show", "nope")
    assert code == 2 and err.startswith("error: unknown task 'nope'")


def test_installed_console_script_exits_2_without_traceback(tmp_path):
    exe = [sys.executable, "-m", "reasonlab.cli.main"]
    proc = subprocess.run(
        [*exe, "generate", "--model", str(tmp_path / "missing")], capture_output=True, text=True
    )
    assert (
        proc.returncode == 2
        and proc.stderr.startswith("error: model not found")
        and "Traceback" not in proc.stderr
    )


def test_evaluate_reports_accuracy_by_thinking_depth(monkeypatch, capsys, tmp_path):
    out = tmp_path / "ev"
    code, stdout, err = run_cli(
        monkeypatch,
        capsys,
        "evaluate",
        *SMALL,
        "--cuts",
        "0.5",
        "--answer-max-tokens",
        "4",
        "--out",
        str(out),
    )
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text())
    depth = summary["accuracy_by_thinking_depth"]
    assert (
        list(depth) == ["0.5", "1.0"] and depth["0.5"]["thinking_tokens"] <= depth["1.0"]["thinking_tokens"]
    )
    assert (out / "depth.png").stat().st_size > 0 and "thinking cut at 50%" in stdout
    assert summary["forced_answer_usage"]["generated"] > 0
    dynamics = summary["answer_dynamics"]
    assert list(dynamics["forced_differs_from_final"]) == ["0.5"]
    assert 0 <= dynamics["some_cut_right_final_wrong"] <= dynamics["final_wrong"]


def test_bad_cuts_are_clear_errors(monkeypatch, capsys, tmp_path):
    code, _, err = run_cli(
        monkeypatch, capsys, "evaluate", *SMALL, "--cuts", "half", "--out", str(tmp_path / "r")
    )
    assert code == 2 and "--cuts expects comma-separated fractions" in err
    code, _, err = run_cli(
        monkeypatch, capsys, "evaluate", *SMALL, "--cuts", "1.5", "--out", str(tmp_path / "r")
    )
    assert code == 2 and "cuts must be fractions in [0, 1)" in err


def test_fractured_and_budget_commands_write_their_runs(monkeypatch, capsys, tmp_path):
    common = ["--model", "testbed:random", "--num-problems", "1", "--no-progress"]
    code, out, err = run_cli(
        monkeypatch,
        capsys,
        "fractured",
        *common,
        "-n",
        "2",
        "-H",
        "2",
        "-m",
        "2",
        "--max-tokens",
        "12",
        "--answer-max-tokens",
        "4",
        "--out",
        str(tmp_path / "f"),
    )
    assert code == 0, err
    assert {"passk_vs_tokens.png", "summary.json", "report.md"} <= {
        p.name for p in (tmp_path / "f").iterdir()
    }
    code, out, err = run_cli(
        monkeypatch,
        capsys,
        "budget",
        *common,
        "-n",
        "1",
        "--thinking",
        "4,-1",
        "--solution",
        "3",
        "--max-thinking",
        "8",
        "--out",
        str(tmp_path / "b"),
    )
    assert code == 0, err
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert [r["thinking_budget"] for r in summary["budgets"]] == [4, -1]
    assert summary["budgets"][0]["thinking_tokens"] <= 4 and (tmp_path / "b" / "budgets.png").exists()


def test_fractured_on_a_local_model_folder_uses_the_official_settings(
    monkeypatch, capsys, tmp_path, tiny_dir
):
    out, local = tmp_path / "f", tmp_path / "local"
    # tiny_dir keeps the testbed's tokenizer file, which marks a folder made from a testbed model; the
    # same vocabulary in another file stands for a real model's folder
    shutil.copytree(tiny_dir, local)
    (local / "tokenizer.json").write_text(json.dumps(json.loads((local / "tokenizer.json").read_text())))
    args = ["--model", str(local), "--num-problems", "1", "-n", "2", "-H", "2", "-m", "1", "--no-progress"]
    code, stdout, err = run_cli(
        monkeypatch, capsys, "fractured", *args, "--max-tokens", "6", "--out", str(out)
    )
    assert code == 0, err
    config = json.loads((out / "config.json").read_text())
    assert config["max_tokens"] == 6  # given
    assert config["answer_max_tokens"] == 2048  # the model's default: a real model's, not the testbed's
    assert config["system_prompt"].startswith("Please reason step by step")
    # The random model never closes its thinking within 6 tokens: the summary and the report say so.
    assert "warning:" in stdout and "hit max_tokens=6" in stdout
    assert "**Warning:**" in (out / "report.md").read_text()


def test_a_resumed_fractured_run_samples_what_an_uninterrupted_one_does(monkeypatch, capsys, tmp_path):
    from reasonlab.core.runs import Run

    args = ["fractured", "--model", "testbed:draft", "--num-problems", "2", "-n", "2", "-H", "2", "-m", "2"]
    args += ["--chunk", "2", "--no-progress"]
    assert run_cli(monkeypatch, capsys, *args, "--out", str(tmp_path / "fresh"))[0] == 0
    add = Run.add

    def add_then_stop(self, record):  # Ctrl-C right after the first problem was checkpointed
        add(self, record)
        raise KeyboardInterrupt

    monkeypatch.setattr(Run, "add", add_then_stop)
    assert run_cli(monkeypatch, capsys, *args, "--out", str(tmp_path / "resumed"))[0] == 130
    monkeypatch.setattr(Run, "add", add)
    code, out, err = run_cli(monkeypatch, capsys, *args, "--out", str(tmp_path / "resumed"))
    assert code == 0 and "resuming: 1 problems" in out, err

    def records(name):
        rows = [json.loads(line) for line in (tmp_path / name / "samples.jsonl").read_text().splitlines()]
        return [{k: v for k, v in r.items() if k != "usage"} for r in rows]  # cache reuse may differ

    assert records("resumed") == records("fresh")  # problem 2 was sampled alone, not beside problem 1


@pytest.mark.parametrize(
    "args,message",
    [
        (["fractured", "-n", "0"], "n must be at least 1"),
        (["fractured", "-H", "0"], "H must be at least 1"),
        (["fractured", "-m", "0"], "m must be at least 1"),
        (["fractured", "--cut-by", "words"], "--cut-by must be"),
        (["budget", "--thinking", "16,-3"], "thinking budget must be -1 (unlimited) or >= 1"),
        (["budget", "--thinking", "many"], "--thinking expects comma-separated integers"),
        (["budget", "--solution", "0"], "solution budget must be >= 1"),
    ],
)
def test_sampling_method_errors(monkeypatch, capsys, tmp_path, args, message):
    code, _, err = run_cli(
        monkeypatch, capsys, *args, "--model", "testbed:random", "--out", str(tmp_path / "r")
    )
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_version(monkeypatch, capsys):
    from reasonlab import __version__

    code, out, _ = run_cli(monkeypatch, capsys, "--version")
    assert code == 0 and out.strip() == f"reasonlab {__version__}"
