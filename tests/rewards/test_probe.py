"""The probe's perturbations are pure and seeded, change what they say, and its measures are right."""

import random

import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.rewards.probe import PERTURBATIONS, change_summary, kendall_tau, perturbation
from reasonlab.tasks import create_task
from reasonlab.tasks.arith import check_step, parse_step

TASK = create_task("arith")
PROBLEMS = [TASK.problem(i) for i in range(20)]
POOL = [p.question for p in PROBLEMS]


def _solution(problem):
    return [*TASK.reference_steps(problem), f"So the answer is {problem.answer}."]


@pytest.mark.parametrize("name", sorted(PERTURBATIONS))
def test_each_perturbation_is_seeded_and_changes_what_it_says(name):
    fn = perturbation(name)
    for problem in PROBLEMS:
        steps = _solution(problem)
        a = fn(problem.question, steps, random.Random(1), POOL)
        assert a == fn(problem.question, steps, random.Random(1), POOL)  # same seed, same result
        assert a.applied
        assert (a.question, a.steps) != (problem.question, steps)
        if a.first_changed_step is None:  # only the question moved
            assert a.steps == steps and a.question != problem.question
        else:
            assert a.question == problem.question
            assert a.steps[: a.first_changed_step] == steps[: a.first_changed_step]


def test_a_chain_edit_stays_self_consistent_and_a_step_edit_does_not():
    rng = random.Random(0)
    for problem in PROBLEMS:
        steps = _solution(problem)
        edited = perturbation("chain-edit")(problem.question, steps, rng, POOL)
        assert all(check_step(s, 100) for s in edited.steps[:-1])  # every step's arithmetic holds
        values = [parse_step(s)[4] for s in edited.steps[:-1]]
        for prev, s in zip(values, edited.steps[1:-1]):
            assert parse_step(s)[0] == prev  # each step continues the previous one
        assert edited.steps[-1] == f"So the answer is {values[-1]}."
        broken = perturbation("step-number-edit")(problem.question, steps, rng, POOL)
        i = broken.first_changed_step  # one number of one step: nothing after it follows along
        assert broken.steps[i] != steps[i] and broken.steps[i + 1 :] == steps[i + 1 :]


def test_steps_that_cannot_be_perturbed_are_reported_not_faked():
    one = ["So the answer is 5."]
    for name in ("truncate-initial", "truncate-last", "truncate-all", "step-shuffle"):
        assert not perturbation(name)("q", one, random.Random(0), ["q"]).applied
    assert not perturbation("question-shuffle")("q", one, random.Random(0), ["q"]).applied
    with pytest.raises(ReasonlabError, match="unknown perturbation 'typo'"):
        perturbation("typo")


def test_kendall_tau_and_change_summary():
    assert kendall_tau([1, 2, 3], [10, 20, 30]) == 1.0
    assert kendall_tau([1, 2, 3], [3, 2, 1]) == -1.0
    assert kendall_tau([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(2 / 3)
    assert kendall_tau([1, 1], [1, 2]) != kendall_tau([1, 1], [1, 2])  # constant: NaN
    s = change_summary([0.5, 0.5, 0.5], [0.52, 0.9, 0.1])
    assert s["mean_abs_change"] == pytest.approx((0.02 + 0.4 + 0.4) / 3)
    assert (s["change_p10"], s["change_median"], s["change_p90"]) == pytest.approx((-0.4, 0.02, 0.4))
    assert s["share_within_small"] == pytest.approx(1 / 3) and s["share_up"] == pytest.approx(2 / 3)
