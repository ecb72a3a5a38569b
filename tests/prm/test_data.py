import random

import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.prm.data import StepSampler, label_testbed_steps, read_samples, split_steps, write_samples
from reasonlab.tasks import create_task
from reasonlab.testbed.revision_traces import RevisionTraceConfig, revision_pieces
from reasonlab.testbed.step_labels import label_lines
from reasonlab.testbed.traces import CANDIDATE

TASK = create_task("arith", seed=5)


def _completion(pieces, answer: str) -> str:
    """The text a testbed model writes for these pieces (as traces.build_example lays them out)."""
    return "\n\n".join(p.text for p in pieces) + f"\n</think>\n\nThe answer is \\boxed{{{answer}}}."


def test_a_completion_is_cut_at_blank_lines_and_labelled_line_by_line_then_by_its_answer():
    rng = random.Random(4)
    for i in range(100):
        problem = TASK.problem(i)
        pieces = revision_pieces(problem, rng, RevisionTraceConfig(p_step_slip=0.3))
        final = pieces[-1].belief
        steps = split_steps(_completion(pieces, final))
        assert len(steps) == len(pieces) + 1  # the answer after the close is a step of its own
        labels = label_testbed_steps(TASK, problem, steps, "</think>")
        assert labels[:-1] == label_lines(problem, [p.text for p in pieces])
        assert labels[-1] == (final == problem.answer)


def test_a_step_that_only_closes_the_thinking_is_judged_by_the_answer():
    problem = TASK.problem(0)
    steps = [*TASK.reference_steps(problem), "</think>", f"The answer is \\boxed{{{problem.answer}}}."]
    assert label_testbed_steps(TASK, problem, steps, "</think>") == [True] * len(steps)
    wrong = [*steps[:-1], "The answer is \\boxed{1000}."]
    assert label_testbed_steps(TASK, problem, wrong, "</think>")[-2:] == [False, False]


def test_sampled_data_round_trips_and_repeats_under_its_seed_in_any_batch(tmp_path):
    task = create_task("arith")
    problems = [task.problem(i) for i in range(2)]
    kwargs = dict(n=2, temperature=1.0, max_tokens=64, seed=3)
    sampler = StepSampler("testbed:draft", task, label_testbed_steps)
    samples = [s for batch in sampler.sample(problems, **kwargs) for s in batch]
    assert len(samples) == 4 and all(len(s.steps) == len(s.labels) > 0 for s in samples)
    assert [s.problem_id for s in samples] == [problems[0].id] * 2 + [problems[1].id] * 2
    # one problem at a time (a resume's batches differ) gives the same solutions
    alone = [s for p in problems for s in sampler.sample([p], **kwargs)[0]]
    assert [s.steps for s in alone] == [s.steps for s in samples]
    assert len({tuple(s.steps) for s in samples}) > 1
    write_samples(tmp_path / "d.jsonl", samples)
    assert read_samples(tmp_path / "d.jsonl") == samples


def test_bad_data_names_the_file_and_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"problem_id": "a"}\n')
    with pytest.raises(ReasonlabError, match="bad.jsonl:1: not a step sample"):
        read_samples(bad)
    with pytest.raises(ReasonlabError, match="PRM data not found"):
        read_samples(tmp_path / "none.jsonl")


def test_monte_carlo_labels_mark_a_step_right_when_some_rollout_from_it_is_right():
    from reasonlab.prm.data import MonteCarloLabels

    task = create_task("arith")
    problem = task.problem(0)
    sampler = StepSampler("testbed:target", task, None, rollouts=2, rollout_max_tokens=512, seed=0)
    assert isinstance(sampler.label, MonteCarloLabels)
    right = [*task.reference_steps(problem), f"{CANDIDATE} {problem.answer}."]
    labels = sampler.label(task, problem, right, "</think>")
    assert len(labels) == len(right) and labels[-1]  # the full right chain: its rollouts answer it
    hopeless = [f"{CANDIDATE} {int(problem.answer) + 1}.", "</think>", "The answer is \\boxed{1000}."]
    assert sampler.label(task, problem, hopeless, "</think>")[-2:] == [False, False]


def test_question_negatives_pair_solutions_with_other_questions_and_label_them_wrong():
    from reasonlab.prm.data import StepSample, question_negatives

    samples = [
        StepSample(f"p{i}", f"question {i}", ["1+1=2", "So the answer is 2."], [True, True], "m", True)
        for i in range(10)
    ]
    negatives = question_negatives(samples, 0.3, seed=0)
    assert len(negatives) == 3 and negatives == question_negatives(samples, 0.3, seed=0)
    by_question = {s.question: s.problem_id for s in samples}
    for n in negatives:
        assert by_question[n.question] == n.problem_id  # a real other problem, id and question together
        assert n.labels == [False, False] and not n.correct
    steps_of = {tuple(s.steps) for s in samples}
    assert all(tuple(n.steps) in steps_of for n in negatives)
    assert question_negatives(samples[:1], 1.0, seed=0) == []  # no other question to pair with
