import numpy as np
import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.engines import SamplingParams
from reasonlab.engines.hf import HFEngine
from reasonlab.jobs.fractured import summarize
from reasonlab.models.loading import chat_prompt_ids
from reasonlab.models.think import ThinkFormat, detect_think_format
from reasonlab.sampling.fractured import FracturedConfig, fractured_sample, step_cuts, token_cuts
from reasonlab.tasks import create_task

TASK = create_task("arith")


def test_token_cuts_are_even_by_tokens_and_end_at_the_full_trace():
    assert token_cuts(100, 4) == [25, 50, 75, 100]
    assert token_cuts(100, 4, block=16) == [16, 48, 64, 100]
    assert token_cuts(3, 5) == [1, 1, 1, 2, 3]  # shorter than H: cuts collapse, but never at 0
    assert token_cuts(0, 3) == [0, 0, 0]  # empty thinking: every cut is the (empty) full trace


def test_block_rounding_never_cuts_at_zero_or_merges_cuts():
    # Rounding 5, 10, ..., 35 down to 16 would give 0, 0, 0, 16, 16, 16, 32: keep the exact cuts.
    assert token_cuts(40, 8, block=16) == [5, 10, 15, 20, 25, 30, 35, 40]
    assert token_cuts(200, 4, block=16) == [48, 96, 144, 200]  # distinct after rounding: aligned


def test_step_cuts_fall_just_after_step_delimiters(tiny):
    tok = tiny[1]
    ids = tok.encode("1+2=3\n\n3+4=7\n\n7+1=8\n\nSo 8.", add_special_tokens=False)
    cuts = step_cuts(ids, 4, tok, "\n\n")
    assert cuts[-1] == len(ids)
    assert [tok.decode(ids[:c])[-2:] for c in cuts[:-1]] == ["\n\n"] * 3


def test_config_is_validated():
    for kwargs, message in [
        ({"n": 0}, "n must be at least 1"),
        ({"H": 0}, "H must be at least 1"),
        ({"m": 0}, "m must be at least 1"),
        ({"cut_by": "words"}, "cut_by must be"),
    ]:
        with pytest.raises(ReasonlabError, match=message):
            FracturedConfig(**kwargs).validate()


@pytest.fixture
def fake_think(tiny):
    """A think format whose close marker is a token the greedy random model writes early on."""
    engine = HFEngine(*tiny)
    prompt = chat_prompt_ids(tiny[1], TASK.problem(0).question)
    ids = (
        engine.generate([prompt], SamplingParams(temperature=0, max_tokens=60, ignore_eos=True))[0]
        .outputs[0]
        .token_ids
    )
    return ThinkFormat(open_ids=None, close_ids=(ids[20],), close_text=tiny[1].decode([ids[20]]))


def test_shapes_reuse_and_greedy_equivalence_with_and_without_prefix_caching(tiny, fake_think):
    cfg = FracturedConfig(n=2, H=4, m=3, temperature=0, max_tokens=40, answer_max_tokens=6, chunk=2)
    problems = TASK.problems(2)
    warm = fractured_sample(HFEngine(*tiny), TASK, problems, fake_think, cfg)
    cold = fractured_sample(HFEngine(*tiny, enable_prefix_caching=False), TASK, problems, fake_think, cfg)
    for w, c in zip(warm, cold):
        assert w.scores.shape == (2, 4, 3) and len(w.preds[0][3]) == 3
        assert w.preds == c.preds and np.array_equal(w.answer_tokens, c.answer_tokens)
        assert (np.diff(w.cut_tokens, axis=1) >= 0).all() and (w.cut_tokens[:, -1] == w.thinking_tokens).all()
        # Same prompts either way; with the cache, a branch computes only marker + delimiter (3 tokens).
        prompt_len = len(chat_prompt_ids(tiny[1], TASK.problem(int(w.id.split("-")[-1])).question))
        branches = 2 * 4 - w.collapsed_cuts
        assert c.usage.prefill_reused == 0
        assert w.usage.prefill_computed + w.usage.prefill_reused == c.usage.prefill_computed
        assert w.usage.prefill_computed - prompt_len <= 3 * branches


def test_the_full_cut_reuses_the_trajectorys_own_solution(tiny, fake_think):
    cfg = FracturedConfig(n=1, H=2, m=2, temperature=0, max_tokens=40, answer_max_tokens=6)
    engine = HFEngine(*tiny)
    [r] = fractured_sample(engine, TASK, TASK.problems(1), fake_think, cfg)
    assert r.closed.all() and not r.truncated.any()
    thinking_len = r.thinking_tokens[0]
    assert r.answer_tokens[0, 1, 0] == r.trajectory_tokens[0] - thinking_len - 1


def test_n_axis_is_plain_sampling_even_when_thinking_never_closes(tiny):
    """Answer 0 at the full cut is the trajectory's own output: with H = m = 1 fractured sampling
    generates exactly what plain sampling does, and an unclosed trajectory gets no forced answer."""
    think = detect_think_format(tiny[1])  # the random model never writes </think>
    cfg = FracturedConfig(n=3, H=1, m=1, temperature=1.0, max_tokens=7, seed=3)
    problems = TASK.problems(2)
    results = fractured_sample(HFEngine(*tiny), TASK, problems, think, cfg)
    prompts = [chat_prompt_ids(tiny[1], p.question, None, think) for p in problems]
    params = SamplingParams(n=3, temperature=1.0, top_p=cfg.top_p, max_tokens=7, seed=3)
    plain = HFEngine(*tiny).generate(prompts, params)
    for r, request in zip(results, plain):
        assert not r.closed.any()
        assert r.truncated.tolist() == [o.finish_reason == "length" for o in request.outputs]
        assert r.usage.generated == request.usage.generated  # no forced answers were generated
        assert (r.answer_tokens[:, -1, 0] == 0).all()  # the trajectory's tokens are its own cost
        assert [r.preds[i][-1][0] for i in range(3)] == [
            TASK.extract_answer(o.text, think.close_text) for o in request.outputs
        ]


def test_short_thinking_collapses_cuts_and_never_closed_traces_still_count(tiny):
    think = detect_think_format(tiny[1])  # the random model never writes </think>
    cfg = FracturedConfig(n=2, H=8, m=1, temperature=1.0, max_tokens=5, answer_max_tokens=4, seed=1)
    [r] = fractured_sample(HFEngine(*tiny), TASK, TASK.problems(1), think, cfg)
    assert not r.closed.any() and r.collapsed_cuts > 0
    assert not r.duplicate[:, -1].any()  # the full cut always stands for itself
    assert r.scores.dtype == bool and not r.scores.any()  # unparseable answers are wrong, not errors
    summary = summarize([r], cfg, num_params=1000)
    assert summary["never_closed_trajectories"] == 2 and summary["collapsed_cuts"] == r.collapsed_cuts
    assert set(summary["curves"]) == {"n", "H", "m", "joint"}
    # No trajectory reached an answer, and every one hit max_tokens before closing: the summary says so.
    assert summary["truncated_trajectories"] == 2
    no_answer, truncated = summary["warnings"]
    assert "no sample reached an answer" in no_answer and "max_tokens=5" in truncated
