"""Command flags come from the config dataclasses (cli/options.py): no field can lack a flag or help,
no command needs torch to answer --help or a bad flag, and renamed flags say where they went."""

import dataclasses
import json
import subprocess
import sys

import pytest
import typer
from click.testing import CliRunner

from reasonlab.cli.main import app
from reasonlab.cli.options import ConfigFlags, config_options, field_flag
from tests.cli.test_cli import run_cli

CONVERTED = {
    "generate",
    "evaluate",
    "fractured",
    "budget",
    "grounding eval",
    "grounding synth",
    "recsys train",
    "recsys bench",
    "testbed train",
    "optim bench",
    "rl train",
    "prm data",
    "prm train",
    "rsd",
    "probe",
    "prune score",
    "prune drop",
    "merge",
}


def commands(typer_app: typer.Typer = app, prefix: str = ""):
    for info in typer_app.registered_commands:
        yield (prefix + (info.name or info.callback.__name__)).strip(), info.callback
    for group in typer_app.registered_groups:
        yield from commands(group.typer_instance, f"{prefix}{group.name} ")


def click_command(name: str):
    cmd = typer.main.get_command(app)
    for part in name.split():
        cmd = cmd.commands[part]
    return cmd


def test_every_command_with_a_config_takes_its_flags_from_it():
    converted = {name for name, callback in commands() if hasattr(callback, "__config_options__")}
    assert converted == CONVERTED


@pytest.mark.parametrize("name", sorted(CONVERTED))
def test_every_config_field_has_a_flag_with_help_and_help_lists_it(name):
    callback = dict(commands())[name]
    classes, on_cli, _ = callback.__config_options__
    params = {p.name: p for p in click_command(name).params}
    result = CliRunner().invoke(typer.main.get_command(app), [*name.split(), "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    checked = 0
    for cls in classes:
        for f in dataclasses.fields(cls):
            if f.name not in on_cli:
                # Only fields the command sets itself (metadata cli False) or replaces by a list
                # flag of its own (recsys bench: --models, --seeds) stay off the CLI.
                assert f.metadata.get("cli", True) is False or name == "recsys bench", f.name
                continue
            param = params[f.name]
            assert field_flag(f) in param.opts, (f.name, param.opts)
            assert f.metadata["help"].strip() and param.help, f.name
            assert field_flag(f) in result.output, f.name
            checked += 1
    assert checked >= 3


def test_a_field_without_help_cannot_become_a_flag():
    @dataclasses.dataclass
    class Config:
        documented: int = dataclasses.field(default=1, metadata={"help": "A count."})
        forgotten: int = 2

    with pytest.raises(TypeError, match="'forgotten' has no metadata help"):
        config_options(Config)(lambda flags: None)


def test_a_misspelt_override_is_an_error_not_a_silent_drop():
    from reasonlab.jobs.generate import GenerateConfig

    with pytest.raises(TypeError, match="no field 'num_problem'"):
        ConfigFlags({}, {}).build(GenerateConfig, num_problem=3)


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["generate", "--help"],
        ["recsys", "train", "--help"],
        ["testbed", "train", "--help"],
        ["optim", "bench", "--help"],
        ["generate", "--no-such-flag"],
        ["fractured", "-H", "x"],
        ["generate", "--num-problems", "0"],
        ["testbed", "train", "--steps", "0"],
        ["recsys", "train", "--source", "s", "--target", "t", "--cold-ratio", "1.5"],
    ],
    ids=lambda a: " ".join(a),
)
def test_help_and_bad_flags_answer_without_torch(argv):
    code = (
        "import sys\n"
        "from reasonlab.cli.main import main\n"
        f"sys.argv = ['reasonlab', *{argv!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('torch', 'transformers') if m in sys.modules)\n"
        "print('heavy:', heavy, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "heavy: []" in done.stderr, done.stderr[-2000:]


def test_importing_the_cli_imports_no_torch():
    code = "import reasonlab.cli.main, sys; assert 'torch' not in sys.modules, 'torch imported'"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]


def test_field_maps_a_real_dataset_file_and_goes_into_config_json(monkeypatch, capsys, tmp_path):
    data = tmp_path / "gsm.jsonl"
    data.write_text(
        '{"question": "What is 2+3?", "final": "5"}\n{"question": "What is 7-4?", "final": "3"}\n'
    )
    base = ["generate", "--model", "testbed:random", "--dataset", str(data), "--num-problems", "2"]
    base += ["-n", "1", "--max-tokens", "8", "--no-progress"]
    code, _, err = run_cli(monkeypatch, capsys, *base, "--out", str(tmp_path / "bad"))
    assert code == 2 and "missing field 'problem'" in err and "--field NAME=problem" in err, err
    out = tmp_path / "run"
    args = [*base, "--field", "question=problem", "--field", "final=answer", "--out", str(out)]
    code, stdout, err = run_cli(monkeypatch, capsys, *args)
    assert code == 0, err
    config = json.loads((out / "config.json").read_text())
    assert config["task_options"] == {"fields": {"question": "problem", "final": "answer"}}
    records = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert [r["question"] for r in records] == ["What is 2+3?", "What is 7-4?"]
    assert [r["answer"] for r in records] == ["5", "3"]
    # generate prints the summary's warnings under its table, as fractured and budget do
    assert "warning: no sample reached an answer" in stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["--field", "question=problem"], "--field applies to --dataset"),
        (["--dataset", "{data}", "--field", "question"], "--field expects key=value, got 'question'"),
        (["--dataset", "{data}", "--field", "question=prompt"], "'prompt' is not one of ours"),
    ],
)
def test_bad_field_mappings_are_one_line_errors(monkeypatch, capsys, tmp_path, args, message):
    data = tmp_path / "d.jsonl"
    data.write_text('{"question": "1+1", "answer": "2"}\n')
    argv = ["generate", "--model", "testbed:random", "--out", str(tmp_path / "r")]
    argv += [a.format(data=data) for a in args]
    code, _, err = run_cli(monkeypatch, capsys, *argv)
    assert code == 2 and err.startswith("error: ") and message in err, err
    assert not (tmp_path / "r").exists()


def test_recsys_config_keeps_the_evaluation_cutoffs():
    from reasonlab.recsys.config import KS
    from reasonlab.recsys.evaluation import DEFAULT_KS

    assert KS == DEFAULT_KS


def test_old_import_paths_of_moved_configs_still_work():
    from reasonlab.jobs.galore_bench import BenchConfig as B1
    from reasonlab.jobs.galore_bench_config import BenchConfig as B2
    from reasonlab.jobs.recsys import DataConfig as D1
    from reasonlab.recsys.config import DataConfig as D2
    from reasonlab.recsys.config import FitConfig as F2
    from reasonlab.recsys.training import FitConfig as F1
    from reasonlab.testbed.config import TrainConfig as T2
    from reasonlab.testbed.train import TrainConfig as T1

    assert (B1, D1, F1, T1) == (B2, D2, F2, T2)
