import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.tasks import create_task


def write(tmp_path, text):
    path = tmp_path / "data.jsonl"
    path.write_text(text)
    return path


def test_loads_and_grades_with_math_verify(tmp_path):
    path = write(
        tmp_path, '{"problem": "half of 1?", "answer": "\\\\frac{1}{2}"}\n\n{"problem": "2+2", "answer": 4}\n'
    )
    task = create_task("jsonl", path=str(path))
    assert len(task) == 2 and task.problem(1).answer == "4"
    assert task.score(task.problem(0), "</think>\n\nso \\boxed{0.5}") == 1.0
    assert task.score(task.problem(1), "\\boxed{5}") == 0.0


@pytest.mark.parametrize(
    "text,message",
    [
        ('{"problem": "a", "answer": "1"}\n{"problem": "b", "answer": \n', "data.jsonl:2: invalid JSON"),
        ('{"problem": "a"}\n', "data.jsonl:1: missing field 'answer'"),
        ('{"problem": "a", "answer": "1"}\n[1, 2]\n', "data.jsonl:2: expected an object"),
        ('{"problem": "", "answer": "1"}\n', "data.jsonl:1: field 'problem' must be a non-empty string"),
        ("\n", "no problems in file"),
    ],
)
def test_malformed_lines_are_named(tmp_path, text, message):
    with pytest.raises(ReasonlabError, match=message):
        create_task("jsonl", path=str(write(tmp_path, text)))


def test_missing_file(tmp_path):
    with pytest.raises(ReasonlabError, match="dataset file not found"):
        create_task("jsonl", path=str(tmp_path / "nope.jsonl"))


def test_equivalent_answers_share_a_vote_key(tmp_path):
    path = write(tmp_path, '{"problem": "a third?", "answer": "\\\\frac{1}{3}"}\n')
    task = create_task("jsonl", path=str(path))
    problem = task.problem(0)
    # Two wrong answers in two notations, and the right one; raw strings would split all three ways.
    keys = task.vote_keys(problem, ["\\frac12", "0.5", None, "\\dfrac{1}{3}", "1/2"])
    assert keys[0] == keys[1] == keys[4] == "\\frac12" and keys[2] is None
    assert keys[3] == "\\dfrac{1}{3}"
    # When scores are known, right answers map onto the reference answer (the frac-cot convention).
    assert task.vote_keys(problem, ["\\dfrac{1}{3}", "0.5"], [True, False]) == ["\\frac{1}{3}", "0.5"]


def test_a_field_mapping_reads_a_file_whose_fields_have_other_names(tmp_path):
    path = write(tmp_path, '{"question": "2+2", "solution": 4, "uid": "q1", "level": 3}\n')
    with pytest.raises(ReasonlabError, match=r"missing field 'problem' \(its fields: 'question', "):
        create_task("jsonl", path=str(path))
    task = create_task(
        "jsonl", path=str(path), fields={"question": "problem", "solution": "answer", "uid": "id"}
    )
    p = task.problem(0)
    assert (p.id, p.question, p.answer, p.metadata) == ("q1", "2+2", "4", {"level": 3, "id": "q1"})


@pytest.mark.parametrize(
    "text,fields,message",
    [
        ('{"q": "a", "answer": "1"}\n', {"question": "problem"}, "data.jsonl:1: missing field 'question'"),
        ('{"q": "a", "problem": "b", "answer": "1"}\n', {"q": "problem"}, "has both 'problem' and 'q'"),
        ('{"q": "a", "answer": "1"}\n', {"q": "question"}, "'question' is not one of ours"),
        (
            '{"q": "a", "r": "b", "answer": "1"}\n',
            {"q": "problem", "r": "problem"},
            "both mapped to 'problem'",
        ),
    ],
)
def test_bad_field_mappings_are_named(tmp_path, text, fields, message):
    with pytest.raises(ReasonlabError, match=message):
        create_task("jsonl", path=str(write(tmp_path, text)), fields=fields)
