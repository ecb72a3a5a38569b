import pytest
import torch
from transformers import DynamicCache

from reasonlab.core.errors import ReasonlabError
from reasonlab.engines import SamplingParams
from reasonlab.engines.hf import HFEngine
from reasonlab.models.loading import chat_prompt_ids


@pytest.fixture
def engine(tiny):
    return HFEngine(*tiny)


def prompt(tok, q="Compute 12+7*3 from left to right, modulo 100."):
    return chat_prompt_ids(tok, q)


def test_same_seed_same_samples_other_seed_other_samples(engine, tiny):
    p = [prompt(tiny[1]), prompt(tiny[1], "Compute 5-9.")]
    sp = SamplingParams(n=3, temperature=1.0, top_p=0.9, max_tokens=24, seed=7)
    a = engine.generate(p, sp)
    b = HFEngine(*tiny).generate(p, sp)
    c = engine.generate(p, SamplingParams(n=3, temperature=1.0, top_p=0.9, max_tokens=24, seed=8))
    ids = lambda outs: [o.token_ids for r in outs for o in r.outputs]  # noqa: E731
    assert ids(a) == ids(b)
    assert ids(a) != ids(c)


def test_a_seeded_request_samples_the_same_whatever_its_batch_mates(tiny):
    """As in vLLM, each seeded request draws from its own generator, so its samples do not depend
    on which other requests share the engine call (what makes resumed runs match fresh ones)."""
    a, b = prompt(tiny[1]), prompt(tiny[1], "Compute 5-9.")
    sp = lambda seed: SamplingParams(n=3, temperature=1.0, max_tokens=16, seed=seed)  # noqa: E731
    together = HFEngine(*tiny, enable_prefix_caching=False).generate([a, b], sp(2))
    alone = HFEngine(*tiny, enable_prefix_caching=False).generate([b], sp(2))
    assert [o.token_ids for o in together[1].outputs] == [o.token_ids for o in alone[0].outputs]
    # The same prompt under two seeds in one call: two different streams.
    twins = HFEngine(*tiny).generate([a, a], [sp(1), sp(2)])
    assert [o.token_ids for o in twins[0].outputs] != [o.token_ids for o in twins[1].outputs]


def test_forked_cache_logits_equal_re_prefilled_logits(tiny):
    model, tok = tiny
    seq = torch.tensor([prompt(tok) + tok.encode("12+7=19\n\n19*3=57", add_special_tokens=False)])
    cut = seq.shape[1] - 9
    suffix = torch.tensor(
        [[tok.convert_tokens_to_ids("</think>")] + tok.encode("\n\n", add_special_tokens=False)]
    )
    with torch.no_grad():
        cache = DynamicCache()
        model(input_ids=seq, cache=cache)
        cache.crop(cut - seq.shape[1])  # fork: keep only the first `cut` tokens
        cache.batch_repeat_interleave(3)
        forked = model(input_ids=suffix.repeat(3, 1), cache=cache).logits
        fresh = model(input_ids=torch.cat([seq[:, :cut], suffix], dim=1)).logits[:, cut:]
    assert torch.allclose(forked, fresh.expand_as(forked), atol=1e-5)


def test_prefix_cache_reuses_kv_and_keeps_greedy_outputs(engine, tiny):
    tok = tiny[1]
    greedy = SamplingParams(temperature=0, max_tokens=30, ignore_eos=True)
    trace = engine.generate([prompt(tok)], greedy)[0].outputs[0].token_ids
    close = [tok.convert_tokens_to_ids("</think>")]
    branches = [prompt(tok) + trace[:cut] + close for cut in (5, 12, 20)]
    warm = engine.generate(branches, SamplingParams(temperature=0, max_tokens=12, ignore_eos=True))
    cold = HFEngine(*tiny, enable_prefix_caching=False).generate(
        branches, SamplingParams(temperature=0, max_tokens=12, ignore_eos=True)
    )
    for w, c, b in zip(warm, cold, branches):
        assert w.outputs[0].token_ids == c.outputs[0].token_ids
        assert w.usage.prefill_computed == 1 and w.usage.prefill_reused == len(b) - 1
        assert c.usage.prefill_computed == len(b) and c.usage.prefill_reused == 0


def test_batched_and_single_greedy_agree_despite_padding(engine, tiny):
    tok = tiny[1]
    prompts = [
        prompt(tok, "Compute 1+1."),
        prompt(tok, "Compute 12+7*3-8+40 from left to right, modulo 100."),
    ]
    greedy = SamplingParams(temperature=0, max_tokens=20, ignore_eos=True)
    cold = HFEngine(*tiny, enable_prefix_caching=False)
    batched = cold.generate(prompts, greedy)
    for p, out in zip(prompts, batched):
        assert cold.generate([p], greedy)[0].outputs[0].token_ids == out.outputs[0].token_ids


def test_requests_with_their_own_token_caps_are_decoded_in_one_batch(tiny):
    """As in vLLM, max_tokens is per request: RSD gives each solution the budget it has left, and
    those requests must still share one batch (one forward per token), each stopping at its cap."""
    tok = tiny[1]
    prompts = [prompt(tok, "Compute 1+1."), prompt(tok), prompt(tok, "Compute 5-9.")]
    caps = [3, 11, 7]
    params = [
        SamplingParams(temperature=0, max_tokens=c, ignore_eos=True, seed=i) for i, c in enumerate(caps)
    ]
    engine = HFEngine(*tiny, enable_prefix_caching=False)
    calls = []
    engine._generate_batch = lambda prompts, *rest, f=engine._generate_batch: (
        calls.append(len(prompts)) or f(prompts, *rest)
    )
    together = engine.generate(prompts, params)
    assert calls == [3]  # one batch, not one per cap
    for p, sp, out in zip(prompts, params, together):
        assert len(out.outputs[0].token_ids) == sp.max_tokens and out.outputs[0].finish_reason == "length"
        alone = HFEngine(*tiny, enable_prefix_caching=False).generate([p], sp)[0].outputs[0]
        assert alone.token_ids == out.outputs[0].token_ids


def test_n_samples_share_one_prefill(engine, tiny):
    p = prompt(tiny[1])
    out = HFEngine(*tiny, enable_prefix_caching=False).generate(
        [p], SamplingParams(n=4, max_tokens=5, seed=0)
    )[0]
    assert len(out.outputs) == 4 and out.usage.prefill_computed == len(p)
    assert [o.usage.prefill_computed for o in out.outputs] == [len(p), 0, 0, 0]
    assert out.usage.generated == sum(len(o.token_ids) for o in out.outputs)


def test_finish_reasons_stop_strings_and_stop_tokens(engine, tiny):
    tok = tiny[1]
    p = prompt(tok)
    free = engine.generate([p], SamplingParams(temperature=0, max_tokens=40, ignore_eos=True))[0].outputs[0]
    assert free.finish_reason == "length" and len(free.token_ids) == 40
    # Stop at the token the greedy run produced 10th: the sample must end right there, token kept.
    stop_tok = free.token_ids[9]
    first = free.token_ids.index(stop_tok)
    hit = engine.generate([p], SamplingParams(temperature=0, max_tokens=40, stop_token_ids=[stop_tok]))[
        0
    ].outputs[0]
    assert (
        hit.finish_reason == "stop"
        and hit.stop_reason == stop_tok
        and hit.token_ids == free.token_ids[: first + 1]
    )
    # A stop string taken from the free text: the text ends before it (or with it, if asked).
    stop = free.text[12:14]
    cut = free.text.index(stop)
    s1 = engine.generate([p], SamplingParams(temperature=0, max_tokens=40, stop=[stop]))[0].outputs[0]
    s2 = engine.generate(
        [p], SamplingParams(temperature=0, max_tokens=40, stop=[stop], include_stop_str_in_output=True)
    )[0].outputs[0]
    assert s1.finish_reason == "stop" and s1.stop_reason == stop and s1.text == free.text[:cut]
    assert s2.text == free.text[: cut + len(stop)]


def test_eos_ends_a_sample_unless_ignored(tiny):
    model, tok = tiny
    engine = HFEngine(model, tok)
    p = prompt(tok)
    greedy = engine.generate([p], SamplingParams(temperature=0, max_tokens=8, ignore_eos=True))[0].outputs[0]
    engine.eos_ids = {greedy.token_ids[3]}  # pretend that token is the model's end of sequence
    out = engine.generate([p], SamplingParams(temperature=0, max_tokens=8))[0].outputs[0]
    assert (
        out.finish_reason == "stop" and out.stop_reason is None and out.token_ids[-1] == greedy.token_ids[3]
    )


def test_logprobs_match_the_model(engine, tiny):
    model, tok = tiny
    p = prompt(tok)
    out = engine.generate([p], SamplingParams(temperature=0, max_tokens=3, logprobs=2, ignore_eos=True))[
        0
    ].outputs[0]
    with torch.no_grad():
        logp = model(torch.tensor([p + out.token_ids])).logits[0, len(p) - 1 : -1].log_softmax(-1)
    for step, token, row in zip(out.logprobs, out.token_ids, logp):
        assert step[token] == pytest.approx(row[token].item(), abs=1e-4)
        assert len(step) in (2, 3) and max(step.values()) == pytest.approx(row.max().item(), abs=1e-4)
    assert out.cumulative_logprob == pytest.approx(sum(s[t] for s, t in zip(out.logprobs, out.token_ids)))


def test_top_k_one_is_greedy(engine, tiny):
    p = prompt(tiny[1])
    greedy = engine.generate([p], SamplingParams(temperature=0, max_tokens=10, ignore_eos=True))[0]
    topk = engine.generate(
        [p], SamplingParams(temperature=1.5, top_k=1, max_tokens=10, seed=3, ignore_eos=True)
    )[0]
    assert topk.outputs[0].token_ids == greedy.outputs[0].token_ids


def test_bad_prompts_are_clear_errors(engine):
    with pytest.raises(ReasonlabError, match="prompt 1 is empty"):
        engine.generate([[5], []], SamplingParams())
    with pytest.raises(ReasonlabError, match="outside the vocabulary"):
        engine.generate([[10**6]], SamplingParams())
