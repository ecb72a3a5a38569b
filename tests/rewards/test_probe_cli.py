"""`reasonlab probe` on a tiny PRM and the task verifier (the control), from a JSONL of solutions
and from a sampled policy."""

import json

import pytest

from reasonlab.prm.config import PRMTrainConfig
from reasonlab.prm.train import build_prm
from reasonlab.tasks import create_task
from tests.cli_runner import run_cli

TASK = create_task("arith")


@pytest.fixture(scope="module")
def prm_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("prm") / "prm"
    build_prm(PRMTrainConfig(init="testbed:draft")).save_pretrained(folder)
    return folder


def _right_solutions(path, count=4):
    """Reference solutions, written as the testbed writes them, two per problem."""
    lines = []
    for i in range(count):
        p = TASK.problem(i)
        text = "\n\n".join(TASK.reference_steps(p)) + f"\n</think>\n\nThe answer is \\boxed{{{p.answer}}}."
        lines += [json.dumps({"question": p.question, "answer": p.answer, "solution": text})] * 2
    path.write_text("\n".join(lines) + "\n")


def test_the_verifier_moves_exactly_when_the_answer_does(monkeypatch, capsys, tmp_path, prm_folder):
    data = tmp_path / "solutions.jsonl"
    _right_solutions(data)
    code, out, _ = run_cli(
        monkeypatch, capsys, "probe", "--rewards", f"{prm_folder},verifier", "--solutions", str(data),
        "--out", str(tmp_path / "run"), "--no-progress",
    )  # fmt: skip
    assert code == 0, out
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    verifier, prm = summary["rewards"]["verifier"], summary["rewards"][str(prm_folder)]
    assert summary["candidates"] == 8 and summary["one_step_solutions"] == 0
    assert verifier["question-removal"]["mean_abs_change"] == 0  # it checks the answer, not the question
    assert verifier["question-shuffle"]["mean_change"] == -1  # the other problem's answer differs
    assert verifier["question-number-edit"]["mean_change"] < -0.5  # the edited question's answer differs
    assert verifier["chain-edit"]["mean_change"] < -0.5  # a self-consistent chain to another answer
    assert verifier["truncate-all"]["mean_abs_change"] == 0  # the answer step (and its marker) stays
    assert verifier["truncate-initial"]["mean_abs_change"] == 0  # the final answer is still there
    assert prm["step-number-edit"]["step_change_at"] >= 0 and prm["question-removal"]["cases"] == 8
    assert prm["step-shuffle"]["kendall_taus"] == []  # two copies of one solution per problem: tied, no tau
    assert (tmp_path / "run" / "mean_abs_change.png").exists()
    assert (tmp_path / "run" / "ranking_stability.png").exists() and "## verifier" in out


def test_sampled_candidates_and_bad_input(monkeypatch, capsys, tmp_path, prm_folder):
    code, out, _ = run_cli(
        monkeypatch, capsys, "probe", "--rewards", str(prm_folder), "--policy", "testbed:draft",
        "--num-problems", "2", "-n", "2", "--max-tokens", "48",
        "--perturbations", "question-removal,step-shuffle", "--out", str(tmp_path / "s"), "--no-progress",
    )  # fmt: skip
    assert code == 0, out
    code, out, err = run_cli(
        monkeypatch, capsys, "probe", "--perturbations", "typo", "--out", str(tmp_path / "x")
    )
    assert code == 2 and "unknown perturbation 'typo'" in out + err and not (tmp_path / "x").exists()
    (tmp_path / "bad.jsonl").write_text('{"question": "q"}\n')
    code, out, err = run_cli(
        monkeypatch, capsys, "probe", "--rewards", "verifier", "--solutions", str(tmp_path / "bad.jsonl"),
        "--out", str(tmp_path / "y"), "--no-progress",
    )  # fmt: skip
    assert code == 2 and "bad.jsonl:1: not a solution" in out + err


def test_a_reward_that_returns_nan_stops_the_probe_in_one_line():
    from reasonlab.core.errors import ReasonlabError
    from reasonlab.jobs.probe import probe_group

    class Broken:
        name = "broken"

        def score(self, problem, completion):
            return float("nan")

    p = TASK.problem(0)
    with pytest.raises(ReasonlabError, match="reward broken returned NaN for problem"):
        probe_group(Broken(), TASK, [(p, TASK.reference_steps(p))], ["question-removal"], [p], 0)
