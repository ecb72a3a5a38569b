"""The meta-ability paper's reward: format +1/-1, answer +2 / -1.5 / -2, on every case of its table."""

import pytest

from reasonlab.rewards import Reward, TagAnswerReward, TagFormatReward, tag_reward
from reasonlab.tasks import create_task


@pytest.fixture(scope="module")
def deduction():
    task = create_task("deduction", level=1)
    return task, task.problem(0)


def wrong_answer(answer: str) -> str:
    return answer.replace("True", "X").replace("False", "True").replace("X", "False")


@pytest.mark.parametrize(
    "case,fmt,ans",
    [
        ("right", 1.0, 2.0),
        ("wrong", 1.0, -1.5),
        ("unparseable", 1.0, -2.0),
        ("empty answer", 1.0, -2.0),
        ("no answer block", -1.0, -2.0),
        ("thinking never closed", -1.0, -2.0),
        ("two answer blocks", -1.0, -2.0),
        ("answer before thinking closes", -1.0, -2.0),
        ("think opened again", -1.0, -2.0),
    ],
)
def test_the_papers_table(deduction, case, fmt, ans):
    task, p = deduction
    a = f"<answer>{p.answer}</answer>"
    completion = {
        "right": f"I try A first.\n</think>\n{a}",
        "wrong": f"hmm</think><answer>{wrong_answer(p.answer)}</answer>",
        "unparseable": "hmm</think><answer>A is maybe</answer>",
        "empty answer": "hmm</think><answer></answer>",
        "no answer block": f"hmm</think>{p.answer}",
        "thinking never closed": f"hmm {a}",
        "two answer blocks": f"hmm</think>{a}{a}",
        "answer before thinking closes": f"hmm {a}</think>",
        "think opened again": f"<think>hmm</think>{a}",
    }[case]
    assert TagFormatReward().score(p, completion) == fmt
    assert TagAnswerReward(task).score(p, completion) == ans
    assert tag_reward(task).score(p, completion) == fmt + ans


def test_without_the_gate_the_answer_is_scored_on_a_malformed_response(deduction):
    task, p = deduction
    completion = f"hmm</think><answer>{p.answer}</answer> and <answer>{p.answer}</answer>"
    assert TagAnswerReward(task).score(p, completion) == -2.0
    assert TagAnswerReward(task, gate_on_format=False).score(p, completion) == 2.0


def test_models_that_open_their_own_thinking(deduction):
    task, p = deduction
    completion = f"<think>hmm</think><answer>{p.answer}</answer>"
    assert TagFormatReward(prompt_opens_think=False).score(p, completion) == 1.0
    assert tag_reward(task, prompt_opens_think=False).score(p, completion) == 3.0
    assert TagFormatReward(prompt_opens_think=False).score(p, "hmm</think><answer>x</answer>") == -1.0


def test_other_thinking_markers():
    task = create_task("induction", level=1)
    p = task.problem(0)
    completion = f"[/THINK]<answer>{p.answer}</answer>"
    reward = tag_reward(task, open_think="[THINK]", close_think="[/THINK]")
    assert reward.score(p, completion) == 3.0


@pytest.mark.parametrize("name", ["deduction", "induction", "abduction"])
def test_every_meta_ability_task_gets_plus_three_for_its_reference(name):
    task = create_task(name, level=2)
    reward = tag_reward(task)
    for p in task.problems(20):
        completion = "\n\n".join(task.reference_steps(p)) + "\n</think>\n\n" + task.reference_solution(p)
        assert reward.score(p, completion) == 3.0


def test_induction_answers_parse_as_integers_only():
    task = create_task("induction", level=1)
    p = task.problem(0)
    answer = TagAnswerReward(task)
    assert answer.score(p, f"</think><answer>{int(p.answer) + 1}</answer>") == -1.5
    assert answer.score(p, f"</think><answer>{p.answer}.0</answer>") == -2.0


def test_trl_call_steps_and_protocol(deduction):
    task, p = deduction
    reward = TagAnswerReward(task)
    assert isinstance(reward, Reward) and isinstance(TagFormatReward(), Reward)
    good, bad = f"x</think><answer>{p.answer}</answer>", "x"
    assert reward(["q", "q"], [good, bad], problem=[p, p]) == [2.0, -2.0]
    assert tag_reward(task)(["q"], [good], problem=[p]) == [3.0]
    assert tag_reward(task).score_steps(p, ["x", "</think><answer>" + p.answer + "</answer>"]) == [0.0, 3.0]
    with pytest.raises(TypeError, match="problem"):
        reward(["q"], [good])


def test_tasks_without_answer_tags_are_refused():
    with pytest.raises(TypeError, match="does not answer in <answer> tags"):
        TagAnswerReward(create_task("arith"))
