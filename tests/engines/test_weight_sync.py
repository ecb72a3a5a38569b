"""After the policy's weights change, no rollout may reuse KV computed with the old weights."""

import torch

from reasonlab.engines import SamplingParams
from reasonlab.engines.hf import HFEngine
from reasonlab.models.loading import chat_prompt_ids
from reasonlab.testbed.random_model import random_llama

GREEDY = SamplingParams(temperature=0, max_tokens=12, ignore_eos=True, logprobs=1)


def _setup():
    model, tok = random_llama(seed=1, hidden=64, layers=2, heads=4, kv_heads=2)
    engine = HFEngine(model, tok)
    prompt = chat_prompt_ids(tok, "Compute 12+7*3 from left to right, modulo 100.")
    first = engine.generate([prompt], GREEDY)[0].outputs[0].token_ids
    return model, tok, engine, prompt + first  # the engine has cached this sequence's prefix


def _optimizer_step(model) -> None:
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    ids = torch.arange(5, 40).unsqueeze(0)
    model(input_ids=ids, labels=ids).loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    model.eval()


def _fresh(model, tok, prompt):
    return HFEngine(model, tok, enable_prefix_caching=False).generate([prompt], GREEDY)[0]


def test_a_rollout_after_an_optimizer_step_on_the_shared_model_recomputes_its_prefix():
    model, tok, engine, extended = _setup()
    assert engine.generate([extended], GREEDY)[0].usage.prefill_reused > 0  # the cache works
    _optimizer_step(model)  # the trainer's step, on the very model object the engine holds
    after = engine.generate([extended], GREEDY)[0]
    assert after.usage.prefill_reused == 0
    reference = _fresh(model, tok, extended)
    assert after.outputs[0].token_ids == reference.outputs[0].token_ids
    assert after.outputs[0].cumulative_logprob == reference.outputs[0].cumulative_logprob


def test_update_weights_loads_a_state_dict_and_drops_the_cache():
    model, tok, engine, extended = _setup()
    trained, _ = random_llama(seed=2, hidden=64, layers=2, heads=4, kv_heads=2)
    engine.update_weights(trained.state_dict())
    assert len(engine.prefix_cache) == 0
    after = engine.generate([extended], GREEDY)[0]
    reference = _fresh(trained, tok, extended)
    assert after.usage.prefill_reused == 0
    assert after.outputs[0].token_ids == reference.outputs[0].token_ids


def test_unchanged_weights_keep_the_cache():
    _, _, engine, extended = _setup()
    engine.generate([extended], GREEDY)
    assert engine.generate([extended], GREEDY)[0].usage.prefill_reused > 0
    engine.reset_prefix_cache()
    assert engine.generate([extended], GREEDY)[0].usage.prefill_reused == 0
