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


def test_the_final_answer_is_what_the_trace_reached_and_only_first_pass_slips_go_untrained():
    rng = random.Random(0)
    cfg = RevisionTraceConfig(p_step_slip=0.2, p_false_alarm=0.1)
    for p in PROBLEMS[:500]:
        pieces = revision_pieces(p, rng, cfg)
        last_answer = [x.text for x in pieces if x.text.startswith(("So the answer is", "Confirmed"))][-1]
        assert last_answer.rstrip(".").split()[-1] == _final(pieces)
        candidate_at = next(i for i, x in enumerate(pieces) if x.text.startswith("So the answer is"))
        for i, x in enumerate(pieces):
            step = parse_step(x.text)
            if step is not None and i < candidate_at:  # first pass: a slip is never trained on
                assert x.loss == check_step(x.text, 100)
            elif i > candidate_at:  # checks and revisions are trained, right or wrong
                assert x.loss


def test_all_four_outcomes_occur_at_the_configured_rates():
    shares = outcome_shares(PROBLEMS, RevisionTraceConfig())
    assert all(shares[k] > 0.01 for k in ("wrong->right", "right->wrong", "wrong->wrong"))
    # 4 steps, 4.8% slips per step: 1 - 0.952**4 = 17.9% of first candidates are wrong
    first_wrong = shares["wrong->right"] + shares["wrong->wrong"]
    assert 0.15 < first_wrong < 0.21
    # right -> wrong needs a false alarm (1.5% per checked step) that the redo keeps (80%), among the
    # 85% of traces that check: about 0.82 * 0.85 * (1 - 0.985**4) * 0.8 = 3.3%
    assert 0.02 < shares["right->wrong"] < 0.05
    assert shares["some_cut_right_final_wrong"] >= shares["right->wrong"] * 0.9


def test_harder_problems_go_wrong_more_often_and_take_longer():
    rng = random.Random(1)
    short, long_ = create_task("arith", seed=5, steps=2), create_task("arith", seed=5, steps=6)
    cfg = RevisionTraceConfig()
    easy = outcome_shares([short.problem(i) for i in range(2000)], cfg)
    hard = outcome_shares([long_.problem(i) for i in range(2000)], cfg)
    assert hard["final_accuracy"] < easy["final_accuracy"] - 0.1
    length = {
        t.cfg.steps: sum(len(x.text) for i in range(300) for x in revision_pieces(t.problem(i), rng, cfg))
        for t in (short, long_)
    }
    assert length[6] > 2 * length[2]


def test_a_caught_slip_is_redone_and_the_rest_recomputed_from_the_redo():
    rng = random.Random(2)
    cfg = RevisionTraceConfig(p_step_slip=1.0, p_miss=0.0, p_fix=1.0, p_skip_check=0.0)
    for p in PROBLEMS[:200]:
        pieces = revision_pieces(p, rng, cfg)
        texts = [x.text for x in pieces]
        wait = next(i for i, t in enumerate(texts) if t.startswith("Wait, "))
        assert ", not " in texts[wait - 1]
        a, op, b, raw, value = parse_step(texts[wait].removeprefix("Wait, "))
        assert raw == apply_op(a, op, b, 100)[0]  # p_fix = 1: the redo is right
        assert _final(pieces) == p.answer  # the first slip is the first step, so all after is exact


def test_build_example_takes_the_revision_config():
    tok = build_tokenizer()
    close = tok.convert_tokens_to_ids("</think>")
    rng = random.Random(3)
    p = PROBLEMS[0]
    ex = build_example(
        p, tok, chat_prompt_ids(tok, p.question), close, rng, RevisionTraceConfig(p_early_close=0)
    )
    text = tok.decode(ex.ids, skip_special_tokens=True)
    assert "Check: " in text or "So the answer is" in text
    assert ex.ids[-1] == tok.eos_token_id and not ex.early_close
