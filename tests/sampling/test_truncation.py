import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.engines import SamplingParams
from reasonlab.engines.hf import HFEngine
from reasonlab.models.loading import chat_prompt_ids
from reasonlab.models.think import ThinkFormat, detect_think_format
from reasonlab.sampling.truncation import build_branches, cut_points, delimiter_ids, forced_answers


def test_cut_points_round_down_by_tokens():
    assert cut_points(10, [0.0, 0.25, 0.5, 1.0]) == [0, 2, 5, 10]
    with pytest.raises(ReasonlabError, match="cut fractions"):
        cut_points(10, [1.5])


def test_branches_close_thinking_with_the_marker_ids(tiny):
    tok = tiny[1]
    think = detect_think_format(tok)
    prompt = chat_prompt_ids(tok, "Compute 1+2.")
    trace = tok.encode(
        "1+2=3\n\nSo the answer is 3.\n</think>\n\nThe answer is \\boxed{3}.", add_special_tokens=False
    )
    thinking_len = trace.index(think.close_ids[0])
    delim = delimiter_ids(tok, think)
    branches = build_branches([prompt], [trace], [0.5, 1.0], think, delim)
    assert [b.cut for b in branches] == [thinking_len // 2, thinking_len]
    for b in branches:
        assert b.prompt == prompt + trace[: b.cut] + list(think.close_ids) + delim
    with pytest.raises(ReasonlabError, match="no thinking markers"):
        build_branches([prompt], [trace], [0.5], ThinkFormat(None, None), delim)


def test_forced_answers_reuse_the_trace_kv(tiny):
    engine = HFEngine(*tiny)
    tok = tiny[1]
    think = detect_think_format(tok)
    prompt = chat_prompt_ids(tok, "Compute 1+2.")
    trace = engine.generate([prompt], SamplingParams(temperature=0, max_tokens=40, ignore_eos=True))[0]
    branches = build_branches(
        [prompt], [trace.outputs[0].token_ids], [0.25, 0.5, 0.75], think, delimiter_ids(tok, think)
    )
    answers = forced_answers(engine, branches, SamplingParams(n=2, max_tokens=8, seed=0))
    assert [len(a) for a in answers] == [2, 2, 2]
    for b, outs in zip(branches, answers):
        assert outs[0].usage.prefill_reused == len(prompt) + b.cut
        assert outs[0].usage.prefill_computed == len(b.prompt) - len(prompt) - b.cut
