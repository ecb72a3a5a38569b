import random

from reasonlab.models.loading import chat_prompt_ids
from reasonlab.tasks import create_task
from reasonlab.tasks.arith import apply_op, check_step, parse_step
from reasonlab.testbed.revision_traces import RevisionTraceConfig, outcome_shares, revision_pieces
from reasonlab.testbed.tokenizer import build_tokenizer
from reasonlab.testbed.traces import build_example

TASK = create_task("arith", seed=5)
PROBLEMS = [TASK.problem(i) for i in range(3000)]


def _final(pieces) -> str:
    return pieces[-1].belief


def _first_candidate(pieces) -> str:
    return next(p.belief for p in pieces if p.text.startswith("So the answer is"))


def test_checks_are_always_right_and_trained_and_only_first_pass_slips_go_untrained():
    """A check that repeats the claimed number would teach the model to copy instead of compute."""
    rng = random.Random(0)
    cfg = RevisionTraceConfig(p_step_slip=0.3)
    checks = disagreements = 0
    for p in PROBLEMS[:500]:
        pieces = revision_pieces(p, rng, cfg)
        last_answer = [x.text for x in pieces if x.text.startswith(("So the answer is", "Confirmed"))][-1]
        assert last_answer.rstrip(".").split()[-1] == _final(pieces)
        candidate_at = next(i for i, x in enumerate(pieces) if x.text.startswith("So the answer is"))
        first_pass = [parse_step(x.text) for x in pieces[:candidate_at]]
        for i, x in enumerate(pieces):
            if i < candidate_at:  # first pass: a slip is never trained on
                assert x.loss == check_step(x.text, 100)
                continue
            assert x.loss
            if x.text.startswith("Check "):
                a, op, b, claimed, _ = first_pass[_checks_before(pieces, i)]
                operands, route, value, step, difference, verdict = _check_parts(x.text)
                route, _, tens = route.partition(", ")
                assert operands == f"{a}{op}{b}" and value == apply_op(a, op, b, None)[0] == eval(route)
                if tens:  # a product's parts added on the tens: "240+56, 24+5=29 tens"
                    left, right = (int(n) for n in route.split("+"))
                    assert op == "*" and tens == f"{left // 10}+{right // 10}={value // 10} tens"
                assert step == pieces[:candidate_at][_checks_before(pieces, i)].text  # restated as written
                assert difference == f"{value}{-claimed:+d} = {value - claimed}"
                assert verdict == ("ok" if value == claimed else "wrong.")
                checks += 1
                disagreements += value != claimed
    assert 0.2 < disagreements / checks < 0.4  # about p_step_slip: the copy shortcut would fail often


def _check_parts(text: str) -> tuple[str, str, int, str, str, str]:
    """(operands, last line of the route, value, step restated, difference, verdict) of a check:
    "Check 82*3: 80*3 + 2*3 = 240+6, 24+0=24 tens = 246 vs 82*3=256 -> 56: 246-256 = -10, wrong."
    gives ("82*3", "240+6, 24+0=24 tens", 246, "82*3=256 -> 56", "246-256 = -10", "wrong.")."""
    operands, rest = text.removeprefix("Check ").split(": ", 1)
    route, restated = rest.split(" vs ")
    step, decision = restated.rsplit(": ", 1)
    difference, verdict = decision.split(", ")
    parts = route.split(" = ")
    return operands, parts[-2], int(parts[-1]), step, difference, verdict


def test_a_check_splits_the_step_into_tens_and_ones():
    from reasonlab.testbed.revision_traces import check_expression

    assert check_expression(82, "*", 3) == ("80*3 + 2*3 = 240+6", 246)
    assert check_expression(12, "-", 45) == ("10-40 + 2-5 = -30-3", -33)
    assert check_expression(5, "+", 7) == ("5+7", 12)  # nothing to split: recomputed as it is
    for a in range(-30, 120):
        for b in range(1, 100):
            for op in "+-*":
                expr, value = check_expression(a, op, b)
                assert value == apply_op(a, op, b, None)[0] == eval(expr.split(" = ")[-1])


def _checks_before(pieces, i: int) -> int:
    """How many checks come before piece i: the index of the step piece i checks."""
    return sum(x.text.startswith("Check ") for x in pieces[:i])


def test_every_checked_slip_is_caught_so_wrong_finals_come_from_skipped_checks():
    shares = outcome_shares(PROBLEMS, RevisionTraceConfig(p_step_slip=0.1))
    # 4 steps, 10% slips per step: 1 - 0.9**4 = 34% of first candidates are wrong
    first_wrong = shares["wrong->right"] + shares["wrong->wrong"]
    assert 0.30 < first_wrong < 0.38
    assert shares["right->wrong"] == 0  # the data never talks itself out of a right answer...
    assert 0.1 < shares["wrong->wrong"] / first_wrong < 0.2  # ...and only the 15% unchecked stay wrong


def test_harder_problems_go_wrong_more_often_and_take_longer():
    rng = random.Random(1)
    short, long_ = create_task("arith", seed=5, steps=2), create_task("arith", seed=5, steps=6)
    cfg = RevisionTraceConfig(p_step_slip=0.1)
    first_right = {}
    for task in (short, long_):
        problems = [task.problem(i) for i in range(2000)]
        first_right[task.cfg.steps] = sum(
            _first_candidate(revision_pieces(p, rng, cfg)) == p.answer for p in problems
        ) / len(problems)
    assert first_right[6] < first_right[2] - 0.2  # 0.9**6 = 53% against 0.9**2 = 81%
    length = {
        t.cfg.steps: sum(len(x.text) for i in range(300) for x in revision_pieces(t.problem(i), rng, cfg))
        for t in (short, long_)
    }
    assert length[6] > 2 * length[2]


def test_a_caught_slip_is_redone_with_the_checks_value_and_the_rest_recomputed():
    rng = random.Random(2)
    cfg = RevisionTraceConfig(p_step_slip=1.0, p_skip_check=0.0)
    for p in PROBLEMS[:200]:
        pieces = revision_pieces(p, rng, cfg)
        texts = [x.text for x in pieces]
        wait = next(i for i, t in enumerate(texts) if t.startswith("Wait, "))
        assert texts[wait - 1].endswith(", wrong.") and wait - 1 == texts.index(
            next(t for t in texts if t.startswith("Check "))
        )  # every step slips, so the first check already disagrees
        checked = _check_parts(texts[wait - 1])[2]
        a, op, b, raw, value = parse_step(texts[wait].removeprefix("Wait, "))
        assert raw == checked == apply_op(a, op, b, 100)[0]
        assert _final(pieces) == p.answer  # the slip was the first step and all after it is exact


def test_build_example_takes_the_revision_config():
    tok = build_tokenizer()
    close = tok.convert_tokens_to_ids("</think>")
    rng = random.Random(3)
    p = PROBLEMS[0]
    ex = build_example(
        p, tok, chat_prompt_ids(tok, p.question), close, rng, RevisionTraceConfig(p_early_close=0)
    )
    text = tok.decode(ex.ids, skip_special_tokens=True)
    assert "Check " in text or "So the answer is" in text
    assert ex.ids[-1] == tok.eos_token_id and not ex.early_close
