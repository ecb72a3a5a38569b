import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.engines import SamplingParams
from reasonlab.engines.hf import HFEngine
from reasonlab.models.loading import chat_prompt_ids
from reasonlab.models.think import ThinkFormat, detect_think_format
from reasonlab.sampling.budget import ElasticBudget, budgeted_generate
from reasonlab.tasks import create_task

GREEDY = SamplingParams(temperature=0, max_tokens=1, ignore_eos=True)
GREEDY_FREE = SamplingParams(temperature=0, max_tokens=1)  # stops at the end-of-sequence token


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
    out = sample.as_completion(tok)
    assert out.token_ids[10 + len(wrap_ids) : 11 + len(wrap_ids)] == list(think.close_ids)
    assert sample.tokens == len(out.token_ids)


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


@pytest.fixture(scope="module")
def target():
    """The shipped testbed:target: it closes its thinking with the single "</think>" token."""
    engine = HFEngine.from_pretrained("testbed:target")
    prompt = chat_prompt_ids(engine.tokenizer, create_task("arith").problems(1)[0].question)
    return engine, engine.tokenizer, prompt


def spelled_out_close(tok) -> ThinkFormat:
    """A close marker of several tokens that the model writes with other ids: "</think>" spelled one
    character per token, while the model emits it as its own single token (a BPE model can likewise
    end the marker inside a token such as ">\\n\\n")."""
    chars = tuple(tok.convert_tokens_to_ids(list("</think>")))
    return ThinkFormat(open_ids=None, close_ids=chars, close_text="</think>")


def test_a_natural_multi_token_close_is_not_forced_and_gets_no_second_marker(target):
    engine, tok, prompt = target
    think = spelled_out_close(tok)
    assert len(think.close_ids) == 8
    [[sample]] = budgeted_generate(engine, [prompt], GREEDY_FREE, think, ElasticBudget(400, 48))
    assert not sample.forced_close
    assert "</think>" not in tok.decode(sample.thinking_ids)
    whole = sample.as_completion(tok)
    assert whole.text.count("</think>") == 1 and "\\boxed{" in sample.solution_text
    assert whole.token_ids == sample.thinking_ids + sample.marker_ids + sample.solution_ids


def test_s1_wait_replaces_a_multi_token_close_written_with_other_ids(target):
    engine, tok, prompt = target
    think = spelled_out_close(tok)
    [[natural]] = budgeted_generate(engine, [prompt], GREEDY_FREE, think, ElasticBudget(400, 48))
    budget = ElasticBudget(400, 48, min_thinking=390, max_extensions=1)
    [[sample]] = budgeted_generate(engine, [prompt], GREEDY_FREE, think, budget)
    wait = tok.encode("Wait", add_special_tokens=False)
    assert sample.extensions == 1
    assert sample.thinking_ids[: len(natural.thinking_ids) + len(wait)] == natural.thinking_ids + wait


def test_reported_tokens_count_the_forced_marker_and_the_wrap_up(target):
    """The official response (Elastic-Reasoning vllm_rollout.py) is thinking + "</think>" + solution."""
    engine, tok, prompt = target
    think = detect_think_format(tok)
    wrap = "Time is up.\n"
    [[forced]] = budgeted_generate(engine, [prompt], GREEDY_FREE, think, ElasticBudget(12, 48, wrap_up=wrap))
    wrap_ids = tok.encode(wrap, add_special_tokens=False)
    assert forced.forced_close and forced.marker_ids == wrap_ids + list(think.close_ids)
    assert forced.tokens == 12 + len(wrap_ids) + 1 + len(forced.solution_ids)
    assert forced.as_completion(tok).token_ids[12 : 12 + len(wrap_ids)] == wrap_ids
    [[natural]] = budgeted_generate(engine, [prompt], GREEDY_FREE, think, ElasticBudget(400, 48))
    assert not natural.forced_close and natural.marker_ids == list(think.close_ids)
    assert natural.tokens == len(natural.thinking_ids) + 1 + len(natural.solution_ids)


def test_thinking_that_ends_without_its_marker_is_closed_by_force_without_the_end_token(target):
    """A marker the model never writes ("<think>" as the close): phase 1 ends on end-of-sequence, which
    must not stay inside the thinking that phase 2 continues from."""
    engine, tok, prompt = target
    never = tok.convert_tokens_to_ids("<think>")
    think = ThinkFormat(open_ids=None, close_ids=(never,), close_text="<think>")
    [[sample]] = budgeted_generate(engine, [prompt], GREEDY_FREE, think, ElasticBudget(400, 8))
    assert sample.forced_close and sample.marker_ids == [never]
    assert tok.eos_token_id not in sample.thinking_ids and "</think>" in tok.decode(sample.thinking_ids)
