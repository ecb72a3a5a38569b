import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.tasks import create_task
from reasonlab.tasks.arith import check_step


def test_problem_i_depends_only_on_seed_and_index():
    a, b = create_task("arith"), create_task("arith")
    assert a.problem(17) == b.problem(17)
    assert a.problem(17) != a.problem(18)
    assert create_task("arith", seed=1).problem(17) != a.problem(17)


def test_reference_steps_all_verify_and_reach_the_answer():
    task = create_task("arith", steps=6)
    for p in task.problems(50):
        steps = task.reference_steps(p)
        assert len(steps) == 6 and all(task.check_steps(p, steps))
        assert task.score(p, "\n\n".join(steps) + "</think>\n\n" + task.reference_solution(p)) == 1.0


def test_a_corrupted_step_fails_alone_and_in_context():
    task = create_task("arith")
    p = task.problem(3)
    steps = task.reference_steps(p)
    lhs, rhs = steps[1].split("=", 1)
    raw = int(rhs.split(" ")[0])
    bad = f"{lhs}={raw + 1}" + (rhs[len(str(raw)) :] if " -> " in rhs else "")
    assert not check_step(bad, 100)
    verdicts = task.check_steps(p, steps[:1] + [bad] + steps[2:])
    assert verdicts[0] and not verdicts[1]


def test_right_arithmetic_on_the_wrong_operand_fails_in_context():
    task = create_task("arith", modulus=None, ops="+")
    p = task.problem(0)
    steps = task.reference_steps(p)
    a, op_b = steps[0].split("+")[0], steps[0].split("+")[1].split("=")[0]
    wrong = f"{int(a) + 1}+{op_b}={int(a) + 1 + int(op_b)}"
    assert check_step(wrong, None)
    assert task.check_steps(p, [wrong] + steps[1:])[0] is False


def test_step_format_requires_reduction_exactly_when_it_changes_the_number():
    assert check_step("95+72=167 -> 67", 100)
    assert not check_step("95+72=167", 100)
    assert not check_step("12+3=15 -> 15", 100)
    assert check_step("40-58=-18 -> 82", 100)


def test_difficulty_knobs_shape_problems():
    task = create_task("arith", steps=2, modulus="none", ops="*", mul_max=3, start_max=5)
    p = task.problem(0)
    assert "modulo" not in p.question and p.question.count("*") == 2
    assert all(op == "*" and 2 <= b <= 3 for op, b in p.metadata["ops"])


def test_bad_config_is_a_clear_error():
    with pytest.raises(ReasonlabError, match="steps must be >= 1"):
        create_task("arith", steps=0)
    with pytest.raises(ReasonlabError, match="no option 'depth'"):
        create_task("arith", depth=3)
    with pytest.raises(ReasonlabError, match="expects an integer"):
        create_task("arith", steps="many")
    with pytest.raises(ReasonlabError, match="unknown task 'algebra'"):
        create_task("algebra")


def test_score_grades_the_final_boxed_answer():
    task = create_task("arith")
    p = task.problem(0)
    assert task.score(p, f"</think>\n\n\\boxed{{{p.answer}}}") == 1.0
    assert task.score(p, f"</think>\n\n\\boxed{{{int(p.answer) + 1}}}") == 0.0
    assert task.score(p, "no answer at all") == 0.0


def test_an_edited_question_is_solved_again():
    task = create_task("arith", seed=3)
    p = task.problem(0)
    assert task.with_question(p, p.question) == p  # read back, the same chain and answer
    edited = task.with_question(p, "Compute 98-71-25+40+46 from left to right, modulo 100.")
    assert edited.answer == "88" and edited.id == p.id and task.reference_steps(edited)[0] == "98-71=27"
    assert task.with_question(p, "Compute 7*8 from left to right.").answer == "56"  # no modulus
    odd = task.with_question(p, "What is the capital of France?")
    assert odd.question == "What is the capital of France?" and odd.answer == p.answer
