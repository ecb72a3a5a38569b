import random

from reasonlab.models.loading import chat_prompt_ids
from reasonlab.tasks import create_task
from reasonlab.tasks.arith import check_step, parse_step
from reasonlab.testbed.tokenizer import build_tokenizer
from reasonlab.testbed.traces import TraceConfig, build_example, reasoning_pieces

TASK = create_task("arith", seed=5)


def test_every_trace_ends_on_the_right_answer_and_trains_only_on_correct_steps():
    rng = random.Random(0)
    for i in range(300):
        p = TASK.problem(i)
        pieces = reasoning_pieces(p, rng, TraceConfig(p_mistake=0.5))
        assert pieces[-1].belief == p.answer and pieces[-1].text.endswith(f"{p.answer}.")
        for piece in pieces:
            step = piece.text.removeprefix("Let me check. ")
            if parse_step(step) is not None:
                # Injected mistakes are the only wrong steps, and they carry no loss.
                assert check_step(step, 100) == piece.loss


def test_mistakes_are_caught_with_a_wait():
    rng = random.Random(1)
    texts = [
        "\n".join(x.text for x in reasoning_pieces(TASK.problem(i), rng, TraceConfig(p_mistake=1.0)))
        for i in range(50)
    ]
    assert all("Wait, I had" in t for t in texts)
    rng = random.Random(1)
    clean = [
        reasoning_pieces(TASK.problem(i), rng, TraceConfig(p_mistake=0.0, p_skip_check=0.0))
        for i in range(50)
    ]
    assert all(pieces[-1].text.startswith("Confirmed") for pieces in clean)


def test_early_closed_examples_answer_with_the_belief_at_the_cut_and_never_train_the_close():
    tok = build_tokenizer()
    close = tok.convert_tokens_to_ids("</think>")
    rng = random.Random(2)
    seen_early = 0
    for i in range(200):
        p = TASK.problem(i)
        prompt = chat_prompt_ids(tok, p.question)
        ex = build_example(p, tok, prompt, close, rng, TraceConfig(p_early_close=0.5, p_mistake=0.0))
        at = ex.ids.index(close)
        assert ex.loss_mask[: len(prompt)] == [0] * len(prompt)
        assert ex.loss_mask[at] == (0 if ex.early_close else 1)
        assert ex.ids[-1] == tok.eos_token_id and tok.decode(ex.ids[at + 1 :], skip_special_tokens=True) == (
            f"\n\nThe answer is \\boxed{{{p.answer}}}."
        )  # without mistakes, the best available answer is the true one
        seen_early += ex.early_close
    assert 60 < seen_early < 140
