import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.engines import SamplingParams
from reasonlab.engines.hf import HFEngine
from reasonlab.models.loading import chat_prompt_ids
from reasonlab.models.think import ThinkFormat, detect_think_format
from reasonlab.sampling.budget import ElasticBudget, budgeted_generate

GREEDY = SamplingParams(temperature=0, max_tokens=1, ignore_eos=True)


@pytest.fixture
def setup(tiny):
    engine = HFEngine(*tiny)
    prompt = chat_prompt_ids(tiny[1], "Compute 1+2.")
    return engine, tiny[1], prompt


def test_thinking_is_cut_at_t_and_closed_with_the_marker_ids(setup):
    engine, tok, prompt = setup
    think = detect_think_format(tok)
    wrap = "Time is up.\n"
    [[sample]] = budgeted_generate(
        engine, [prompt], GREEDY, think, ElasticBudget(thinking=10, solution=5, wrap_up=wrap)
    )
    assert sample.forced_close and len(sample.thinking_ids) == 10 and len(sample.solution_ids) <= 5
    wrap_ids = tok.encode(wrap, add_special_tokens=False)
    phase2_prompt = len(prompt) + 10 + len(wrap_ids) + len(think.close_ids)
    assert sample.usage.prefill_computed + sample.usage.prefill_reused == len(prompt) + phase2_prompt
    assert sample.usage.prefill_reused >= len(prompt) + 9  # phase 2 reused phase 1's KV
    out = sample.as_completion(think, tok)
    assert out.token_ids[10:11] == list(think.close_ids) and sample.tokens == len(out.token_ids) - 1


def fake_close_format(engine, prompt, position):
    """Pretend the token the greedy model writes at `position` is the close marker."""
    free = engine.generate([prompt], SamplingParams(temperature=0, max_tokens=40, ignore_eos=True))[0]
    ids = free.outputs[0].token_ids
    marker = ids[position]
    return ThinkFormat(open_ids=None, close_ids=(marker,), close_text=None), ids[: ids.index(marker)]


def test_a_natural_close_is_kept_and_not_forced(setup):
    engine, _, prompt = setup
    think, before = fake_close_format(engine, prompt, 6)
    [[sample]] = budgeted_generate(engine, [prompt], GREEDY, think, ElasticBudget(thinking=30, solution=4))
    assert not sample.forced_close and sample.thinking_ids == before and sample.extensions == 0


def test_s1_extension_replaces_an_early_close_with_wait(setup):
    engine, tok, prompt = setup
    think, before = fake_close_format(engine, prompt, 6)
    budget = ElasticBudget(thinking=30, solution=4, min_thinking=25, wait="Wait")
    [[sample]] = budgeted_generate(engine, [prompt], GREEDY, think, budget)
    wait = tok.encode("Wait", add_special_tokens=False)
    assert sample.extensions == 1
    assert sample.thinking_ids[: len(before) + len(wait)] == before + wait
    assert len(sample.thinking_ids) <= 30


def test_unlimited_thinking_and_bad_budgets(setup):
    engine, tok, prompt = setup
    budget = ElasticBudget(thinking=-1, solution=3, max_thinking=12)
    [[sample]] = budgeted_generate(engine, [prompt], GREEDY, detect_think_format(tok), budget)
    assert len(sample.thinking_ids) <= 12
    for kwargs, message in [
        ({"thinking": 0}, "thinking budget must be -1"),
        ({"thinking": -2}, "thinking budget"),
        ({"solution": 0}, "solution budget must be >= 1"),
    ]:
        with pytest.raises(ReasonlabError, match=message):
            ElasticBudget(**kwargs)


def test_budget_needs_markers(setup):
    engine, _, prompt = setup
    with pytest.raises(ReasonlabError, match="plain has no thinking markers"):
        budgeted_generate(
            engine, [prompt], GREEDY, ThinkFormat(None, None, model_name="plain"), ElasticBudget(5, 5)
        )
