"""`reasonlab budget` as a new user runs it: the defaults must let the testbed's solutions finish."""

import inspect
import json

from reasonlab.cli.budget import budget
from tests.cli.test_cli import run_cli


def test_default_budgets_score_on_the_testbed(monkeypatch, capsys, tmp_path):
    """With s = 16 (the old default) every solution was cut before its \\boxed{}: accuracy 0 at every t."""
    out = tmp_path / "b"
    args = ["budget", "--num-problems", "4", "-n", "2", "--thinking", "64,-1", "--no-progress"]
    code, stdout, err = run_cli(monkeypatch, capsys, *args, "--out", str(out))
    assert code == 0, err
    rows = json.loads((out / "summary.json").read_text())["budgets"]
    assert all(r["solution_cut_rate"] == 0 for r in rows)
    assert rows[-1]["thinking_budget"] == -1 and rows[-1]["accuracy"] > 0
    assert "t=-1 (cap 512)" in stdout


def test_help_states_the_cap_of_unlimited_thinking():
    helps = {name: p.default.help for name, p in inspect.signature(budget).parameters.items()}
    assert "-1 = unlimited, up to --max-thinking" in helps["thinking"]
    assert "t = -1" in helps["max_thinking"] and "512 for testbed models" in helps["max_thinking"]
