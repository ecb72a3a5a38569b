import pytest

from reasonlab.tasks.extract import last_boxed, solution_part
from reasonlab.tasks.grade import math_equal, normalize_int


@pytest.mark.parametrize(
    "text,expected",
    [
        ("so \\boxed{42}.", "42"),
        ("first \\boxed{1} then \\boxed{-7}", "-7"),
        ("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
        ("\\boxed{\\{1, \\{2\\}\\}}", "\\{1, \\{2\\}\\}"),
        ("nested \\boxed{a_{b_{c}}} end", "a_{b_{c}}"),
        ("\\fbox{3}", "3"),
        ("\\boxed 5 done", "5"),
        ("no box here: 42", None),
        ("cut off \\boxed{\\frac{1}{2", None),
    ],
)
def test_last_boxed(text, expected):
    assert last_boxed(text) == expected


def test_answer_comes_from_the_solution_not_the_thinking():
    text = "try \\boxed{3}</think>\n\nThe answer is \\boxed{4}."
    assert last_boxed(solution_part(text, "</think>")) == "4"
    assert solution_part("no close \\boxed{3}", "</think>") == "no close \\boxed{3}"


@pytest.mark.parametrize(
    "gold,pred,ok",
    [
        ("-3", "-3", True),
        ("-3", "3", False),
        ("\\frac{1}{2}", "0.5", True),
        ("\\frac{1}{2}", "\\dfrac{1}{2}", True),
        ("2\\sqrt{2}", "\\sqrt{8}", True),
        ("12", "$12$", True),
        ("\\frac{1}{3}", "0.5", False),
        ("5", None, False),
    ],
)
def test_math_equal(gold, pred, ok):
    assert math_equal(gold, pred) is ok


def test_normalize_int():
    assert normalize_int(" {-12} ") == -12
    assert normalize_int("1.5") is None
    assert normalize_int(None) is None
