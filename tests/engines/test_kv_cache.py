import pytest
import torch
from transformers import DynamicCache

from reasonlab.engines import SamplingParams
from reasonlab.engines.hf import HFEngine
from reasonlab.engines.kv_cache import MIN_CAPACITY, GrowingCache
from reasonlab.models.loading import chat_prompt_ids


def kv(batch, length, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 2, length, 4, generator=g), torch.randn(batch, 2, length, 4, generator=g)


def test_growing_cache_holds_what_dynamic_cache_holds_through_every_operation():
    grow, ref = GrowingCache(), DynamicCache()
    steps = [kv(3, 5, 0)] + [kv(3, 1, s) for s in range(1, MIN_CAPACITY + 10)]  # crosses a regrowth
    for k, v in steps:
        for layer in (0, 1):
            got, want = grow.update(k, v, layer), ref.update(k, v, layer)
            assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])
    assert grow.get_seq_length() == ref.get_seq_length() == 5 + MIN_CAPACITY + 9
    assert grow.layers[0].key_buffer.shape[-2] == 2 * MIN_CAPACITY  # grown by doubling, not per step
    for cache in (grow, ref):
        cache.batch_repeat_interleave(2)
        cache.batch_select_indices(torch.tensor([5, 0, 3]))
        cache.crop(-3)
    for mine, theirs in zip(grow.layers, ref.layers):
        assert torch.equal(mine.keys, theirs.keys) and torch.equal(mine.values, theirs.values)
    k, v = kv(3, 1, 99)  # and it still appends after all that
    assert torch.equal(grow.update(k, v, 0)[0], ref.update(k, v, 0)[0])


def test_engine_samples_the_same_tokens_with_either_cache(tiny):
    """Rows of different lengths leave the batch, n samples fork one prefill, prompts reuse cached
    prefixes: the engine on the growing cache decodes token for token what DynamicCache decodes."""
    model, tok = tiny
    prompts = [chat_prompt_ids(tok, q) for q in ("Compute 12+7*3.", "Compute 5-9.", "Compute 81*2-7.")]
    # Stopping on a tenth of the vocabulary ends rows at different lengths.
    sp = SamplingParams(n=3, temperature=1.0, max_tokens=40, seed=3, stop_token_ids=list(range(0, 300, 10)))

    def sample(cache_class):
        engine = HFEngine(model, tok, cache_class=cache_class)
        first = engine.generate(prompts, sp)
        # Second call: prompts extending the first call's samples hit the prefix cache.
        longer = [p + first[i].outputs[0].token_ids[:-1] + [5] for i, p in enumerate(prompts)]
        second = engine.generate(longer, sp)
        return [o.token_ids for r in first + second for o in r.outputs], second

    grown, second = sample(GrowingCache)
    assert any(r.outputs[0].usage.prefill_reused for r in second)  # the prefix path was taken
    lengths = {len(t) for t in grown}
    assert len(lengths) > 1  # some rows finished early and left the batch
    assert grown == sample(DynamicCache)[0]


def test_crop_takes_a_negative_count():
    cache = GrowingCache()
    cache.update(*kv(1, 4, 0), 0)
    with pytest.raises(ValueError, match="negative"):
        cache.layers[0].crop(3)
