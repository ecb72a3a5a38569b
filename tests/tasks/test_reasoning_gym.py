"""reasoning-gym datasets as tasks (`rg:<name>`): their own config, items and score_answer."""

import json
import re
from datetime import date

import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.tasks import create_task, list_tasks
from reasonlab.tasks.reasoning_gym import ANY_VALID
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
        (
            "rg:basic_arithmetic",
            {"format_style": "fancy"},
            "option 'format_style' expects one of simple, natural",
        ),
        ("rg:basic_arithmetic", {"operators": "+,%"}, "task rg:basic_arithmetic: invalid options: "),
        ("rg:time_intervals", {"max_date": "2020-13-01"}, "option 'max_date' expects a date (YYYY-MM-DD)"),
        (
            "rg:word_sorting",
            {"transformation": "shout"},
            "option 'transformation' expects one of lowercase, uppercase,",
        ),
        ("rg:aiw", {"task_types": "friends,foes"}, "option 'task_types' expects comma-separated items, each"),
        ("rg:rearc", {"rng_difficulty_ranges": "0,1"}, "option 'rng_difficulty_ranges' (list[tuple[float, "),
        ("rg:chain_sum", {"instructions": "maybe"}, "option 'instructions' expects true or false"),
        ("rg:composite", {}, "task rg:composite needs a list of datasets (DatasetSpec), which --set cannot"),
        ("rg:composite", {"datasets": "chain_sum"}, "option 'datasets' (list[reasoning_gym.composite.Data"),
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


def test_list_literal_enum_and_date_options_reach_the_dataset():
    """Options the CLI gives as text: lists comma-separated, Literal and enum values, ISO dates."""
    task = create_task("rg:basic_arithmetic", operators="+,*", format_style="natural", size="30")
    assert task.cfg.operators == ["+", "*"] and task.cfg.format_style == "natural"
    for p in task.problems(30):
        expression = p.question.split("Solve ")[-1] if "Solve " in p.question else p.question
        assert "/" not in expression and " - " not in expression, p.question
        assert task.check(p, p.answer)
    task = create_task("rg:calendar_arithmetic", tasks="weekday_of_date", size="10")
    assert task.cfg.tasks == ["weekday_of_date"]
    assert all(
        p.answer in "Monday Tuesday Wednesday Thursday Friday Saturday Sunday" for p in task.problems()
    )
    task = create_task("rg:time_intervals", min_date="2010-01-01", max_date="2020-01-01", task_types="date")
    assert (task.cfg.min_date, task.cfg.max_date) == (date(2010, 1, 1), date(2020, 1, 1))
    for p in task.problems(20):
        years = {int(y) for y in re.findall(r"\b(\d{4})\b", p.question)}
        assert years and years <= set(range(2010, 2021)), p.question
    task = create_task("rg:word_sorting", transformation="uppercase", size="5")
    assert task.cfg.transformation.value == "uppercase"
    assert all(p.answer == p.answer.upper() and p.answer != p.answer.lower() for p in task.problems())
    task = create_task("rg:aiw", task_types="friends", task_type_weights="1.0", size="5")
    assert all("friend" in p.question for p in task.problems())
    task = create_task("rg:polynomial_multiplication", variables="x", operators="+")
    assert task.cfg.variables == ("x",) and task.cfg.operators == ("+",)


ANY_SOLUTION = ["boxnet", "graph_color", "propositional_logic", "rubiks_cube", "rush_hour"]


@pytest.mark.parametrize("dataset", ANY_SOLUTION)
def test_datasets_without_a_single_answer_say_so(dataset):
    from reasoning_gym import create_dataset

    task = create_task(f"rg:{dataset}", size="5")
    data = create_dataset(dataset, seed=0, size=5)
    for i in range(5):
        p = task.problem(i)
        assert data[i]["answer"] is None and p.answer == ANY_VALID == "(any valid solution)"
        assert p.metadata == {"index": i, "any_valid_solution": True}
        assert not task.check(p, p.answer) and not task.check(p, "None")
        assert task.score(p, f"<answer>{p.answer}</answer>") < 1.0
    assert "any_valid_solution" not in create_task("rg:chain_sum").problem(0).metadata


def test_graph_color_grades_any_valid_colouring_from_its_entry():
    task = create_task("rg:graph_color", size="3")
    for i in range(3):
        p, meta = task.problem(i), task.entry(i)["metadata"]
        known, options = meta["possible_answer"], meta["puzzle"]["color_options"]
        renamed = {v: options[(options.index(c) + 1) % len(options)] for v, c in known.items()}
        assert renamed != known and task.check(p, json.dumps(renamed)) and task.check(p, json.dumps(known))


def test_tasks_sample_shows_the_marker(monkeypatch, capsys):
    code, out, err = run_cli(monkeypatch, capsys, "tasks", "sample", "rg:rush_hour", "--num-problems", "1")
    assert code == 0, err
    assert "answer: (any valid solution)" in out


def test_instructions_append_reasoning_gyms_own_default_prompt():
    from reasoning_gym.utils import SYSTEM_PROMPTS

    plain = create_task("rg:chain_sum", seed="2")
    told = create_task("rg:chain_sum", seed="2", instructions="true")
    assert plain.cfg.instructions is False and told.config()["instructions"] is True
    for i in range(5):
        p, q = plain.problem(i), told.problem(i)
        assert "<answer>" not in p.question and (p.id, p.answer) == (q.id, q.answer)
        assert q.question == p.question + "\n\n" + SYSTEM_PROMPTS["default"].strip()
        assert "<answer>answer here</answer>" in q.question and told.check(q, q.answer)
