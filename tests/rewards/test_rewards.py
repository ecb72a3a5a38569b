"""Rewards on the shipped tasks: the verifier, the format check, their weighted sum, the TRL call."""

import math

import pytest

from reasonlab.rewards import FormatReward, Reward, VerifierReward, WeightedSum
from reasonlab.tasks import create_task

TASK = create_task("arith", seed=0)
P = TASK.problem(0)
RIGHT = f"step\n\nSo the answer is {P.answer}.\n</think>\n\nThe answer is \\boxed{{{P.answer}}}."
WRONG = RIGHT.replace(f"\\boxed{{{P.answer}}}", "\\boxed{-1}")
IN_THINKING_ONLY = f"\\boxed{{{P.answer}}}\n</think>\n\nI give up."
UNCLOSED = f"thinking about \\boxed{{{P.answer}}}"


def test_verifier_scores_the_answer_after_the_thinking_only():
    plain, signed = VerifierReward(TASK), VerifierReward.signed(TASK)
    assert [plain.score(P, c) for c in (RIGHT, WRONG, IN_THINKING_ONLY, UNCLOSED)] == [1.0, 0.0, 0.0, 0.0]
    assert VerifierReward(TASK, close_marker=None).score(P, UNCLOSED) == 1.0
    assert [signed.score(P, c) for c in (RIGHT, WRONG, IN_THINKING_ONLY)] == [1.0, -1.0, -1.0]
    assert isinstance(plain, Reward)


def test_format_needs_one_close_and_one_box_after_it():
    fmt = FormatReward()
    assert fmt.score(P, RIGHT) == 1.0 and fmt.score(P, WRONG) == 1.0
    assert fmt.score(P, IN_THINKING_ONLY) == 0.0 and fmt.score(P, UNCLOSED) == 0.0
    assert fmt.score(P, RIGHT + " \\boxed{3}") == 0.0
    assert fmt.score(P, RIGHT.replace("</think>", "</think></think>")) == 0.0


def test_outcome_rewards_put_their_score_on_the_last_step():
    steps = RIGHT.split("\n\n")
    assert VerifierReward(TASK).score_steps(P, steps) == [0.0] * (len(steps) - 1) + [1.0]
    assert VerifierReward(TASK).score_steps(P, []) == []


def test_weighted_sum_and_the_trl_call():
    total = WeightedSum([VerifierReward.signed(TASK), FormatReward()], [1.0, 0.5])
    assert total.name == "1*verifier + 0.5*format"
    assert total.score(P, RIGHT) == 1.5 and total.score(P, WRONG) == -0.5
    assert total(["q", "q"], [RIGHT, UNCLOSED], problem=[P, P]) == [1.5, -1.0]
    steps = WRONG.split("\n\n")
    assert total.score_steps(P, steps)[-1] == -0.5
    with pytest.raises(TypeError, match="`problem` column"):
        total(["q"], [RIGHT])
    with pytest.raises(ValueError, match="2 completions for 1 problems"):
        total(["q", "q"], [RIGHT, WRONG], problem=[P])
    with pytest.raises(ValueError, match="1 weights for 2 rewards"):
        WeightedSum([FormatReward(), FormatReward()], [1.0])


def test_weighted_sum_leaves_out_rewards_that_cannot_score():
    class Silent(FormatReward):
        name = "silent"

        def score(self, problem, completion):
            return None

    total = WeightedSum([VerifierReward.signed(TASK), Silent()], [1.0, 0.5])
    assert total.score(P, RIGHT) == 1.0
    assert math.isnan(WeightedSum([Silent()]).score(P, RIGHT))
