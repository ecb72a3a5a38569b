from reasonlab.jobs.evaluate import answer_dynamics
from reasonlab.tasks import create_task

TASK = create_task("arith", seed=0)


def sample(final: str, final_ok: bool, **cuts: tuple[str | None, bool]) -> dict:
    entries = {"1.0": {"pred": final, "correct": final_ok}}
    entries |= {k.replace("c", "0."): {"pred": p, "correct": ok} for k, (p, ok) in cuts.items()}
    return {"cuts": entries}


def test_dynamics_count_changed_answers_and_cuts_that_were_right_when_the_end_was_wrong():
    records = [
        # right -> wrong: the cut at 50% had the right answer, the final did not
        {"samples": [sample("7", False, c5=("12", True)), sample("12", True, c5=("12", True))]},
        # an unanswered cut counts as a different answer; "012" is the same integer as "12"
        {"samples": [sample("12", True, c5=(None, False)), sample("12", True, c5=("012", True))]},
    ]
    d = answer_dynamics(TASK, records, [0.5])
    assert d["forced_differs_from_final"] == {"0.5": 0.5}
    assert d["some_cut_right_final_wrong"] == 0.25
    assert d["problems_with_some_cut_right_final_wrong"] == 0.5
    assert d["final_wrong"] == 0.25
