import random

from reasonlab.tasks import create_task
from reasonlab.tasks.arith import format_step, parse_step
from reasonlab.testbed.revision_traces import RevisionTraceConfig, check_line, revision_pieces
from reasonlab.testbed.step_labels import first_wrong, label_lines

TASK = create_task("arith", seed=5)


def test_generated_traces_are_labelled_as_the_generator_made_them():
    """In the data only first-pass steps that slip or build on a wrong value, and a wrong first
    candidate, are wrong."""
    rng = random.Random(0)
    cfg = RevisionTraceConfig(p_step_slip=0.3)
    wrong_checks = caught = 0
    for i in range(400):
        problem = TASK.problem(i)
        pieces = revision_pieces(problem, rng, cfg)
        labels = label_lines(problem, [p.text for p in pieces])
        candidate = next(k for k, p in enumerate(pieces) if p.text.startswith("So the answer is"))
        before = [problem.metadata["start"], *problem.metadata["values"]]
        on_track = True
        for k, (piece, label) in enumerate(zip(pieces, labels)):
            if k < candidate:  # a slip (no loss) is wrong; so is a right step on a wrong value
                on_track = piece.loss and parse_step(piece.text)[0] == before[k]
                assert label == on_track, (piece.text, problem.question)
            elif k == candidate:
                assert label == (piece.belief == problem.answer)
            else:
                assert label, (piece.text, problem.question)  # checks, redone steps, later candidates
                caught += piece.text.endswith(", wrong.")
        wrong_checks += not all(labels[:candidate])
    assert caught > 100 and wrong_checks > 100  # slips and their catches were both exercised


def test_a_model_s_false_alarm_miss_or_misquote_is_wrong():
    problem = TASK.problem(1)
    m = problem.metadata
    a, (op, b) = m["start"], m["ops"][0]
    right_raw = eval(f"{a}{op}{b}")
    first = format_step(a, op, b, 100)
    check, _ = check_line(a, op, b, right_raw, 100)
    assert label_lines(problem, [first, check]) == [True, True]
    false_alarm = check.replace(f"= {right_raw} vs", f"= {right_raw + 1} vs").replace(", ok", ", wrong.")
    assert label_lines(problem, [first, false_alarm]) == [True, False]
    slipped = first.replace(f"={right_raw}", f"={right_raw + 10}", 1)
    caught = check_line(a, op, b, right_raw + 10, 100)[0]
    assert label_lines(problem, [slipped, caught]) == [False, True]
    miss = caught.replace(", wrong.", ", ok")
    assert label_lines(problem, [slipped, miss]) == [False, False]
    misquoted = check.replace(f"vs {first}", f"vs {slipped}")
    assert label_lines(problem, [first, misquoted]) == [True, False]
    assert first_wrong([True, False, True]) == 1 and first_wrong([True]) is None
    assert label_lines(problem, ["I think so.", "So the answer is 3."])[0] is False
