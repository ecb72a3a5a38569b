"""reasoning-gym datasets as tasks (`rg:<name>`): their own config, items and score_answer."""

import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.tasks import create_task, list_tasks
from tests.cli_runner import run_cli

pytest.importorskip("reasoning_gym")


def test_items_and_grading_are_the_datasets_own():
    from reasoning_gym import create_dataset

    task = create_task("rg:chain_sum", seed="3", size="20", min_terms="3", max_terms="3")
    data = create_dataset("chain_sum", seed=3, size=20, min_terms=3, max_terms=3)
    assert len(task) == 20
    for i in (0, 7, 19):
        p = task.problem(i)
        assert (p.question, p.answer) == (data[i]["question"], str(data[i]["answer"]))
        assert p.id == f"rg:chain_sum-3-{i}" and p.question.count("+") + p.question.count("-") == 2
        assert task.check(p, p.answer) and not task.check(p, str(int(p.answer) + 1))
        assert task.score(p, f"<think>adding</think>\n<answer>{p.answer}</answer>") == 1.0
        assert task.score(p, f"adding</think> so \\boxed{{{p.answer}}}") == 1.0  # reasonlab's models box
        assert task.score(p, "<think>no answer</think>") == 0.0
    with pytest.raises(IndexError):
        task.problem(20)


def test_an_unset_seed_is_zero_not_random():
    a, b = create_task("rg:knights_knaves"), create_task("rg:knights_knaves")
    assert a.cfg.seed == 0 and a.problem(5) == b.problem(5)
    assert create_task("rg:knights_knaves", seed="1").problem(5) != a.problem(5)


@pytest.mark.parametrize(
    "name,options,message",
    [
        (
            "rg:chain_sum",
            {"min_terms": "0"},
            "task rg:chain_sum: invalid options: min_terms must be positive",
        ),
        ("rg:chain_sum", {"colour": "red"}, "task 'rg:chain_sum' has no option 'colour' (options: min_terms"),
        ("rg:chain_sum", {"size": "many"}, "option 'size' expects an integer, got 'many'"),
        ("rg:chainsum", {}, "unknown reasoning-gym dataset 'chainsum' ("),
    ],
)
def test_bad_names_and_options_are_one_line(name, options, message):
    with pytest.raises(ReasonlabError) as err:
        create_task(name, **options)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_the_task_list_shows_the_family_and_generate_runs_on_it(monkeypatch, capsys, tmp_path):
    assert "rg:<name>" in list_tasks()
    monkeypatch.chdir(tmp_path)
    args = ["generate", "--task", "rg:basic_arithmetic", "--model", "testbed:draft", "--num-problems", "2"]
    code, out, err = run_cli(monkeypatch, capsys, *args, "-n", "1", "--max-tokens", "16", "--no-progress")
    assert code == 0, err
    assert "run folder: runs/generate-" in out
