"""The vLLM engine needs a CUDA GPU and the vllm extra; without them these tests skip."""

import pytest
import torch

vllm = pytest.importorskip("vllm")
pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="vLLM needs CUDA")


def test_vllm_matches_hf_greedy_and_reports_prefix_reuse(tiny, tiny_dir):
    from reasonlab.engines import SamplingParams
    from reasonlab.engines.hf import HFEngine
    from reasonlab.engines.vllm import VLLMEngine
    from reasonlab.models.loading import chat_prompt_ids

    engine = VLLMEngine(str(tiny_dir), dtype="float32", gpu_memory_utilization=0.3)
    p = chat_prompt_ids(engine.tokenizer, "Compute 1+2.")
    greedy = SamplingParams(temperature=0, max_tokens=16, ignore_eos=True)
    v = engine.generate([p], greedy)[0].outputs[0]
    h = HFEngine(*tiny).generate([p], greedy)[0].outputs[0]
    assert v.token_ids[:8] == h.token_ids[:8]
    again = engine.generate([p + v.token_ids], greedy)[0]
    assert again.usage.prefill_reused > 0


def test_vllm_update_weights_changes_outputs_and_drops_stale_kv(tiny_dir):
    from reasonlab.engines import SamplingParams
    from reasonlab.engines.hf import HFEngine
    from reasonlab.engines.vllm import VLLMEngine
    from reasonlab.models.loading import chat_prompt_ids
    from reasonlab.testbed.random_model import random_llama

    engine = VLLMEngine(str(tiny_dir), dtype="float32", gpu_memory_utilization=0.3)
    p = chat_prompt_ids(engine.tokenizer, "Compute 1+2.")
    greedy = SamplingParams(temperature=0, max_tokens=16, ignore_eos=True)
    first = engine.generate([p], greedy)[0].outputs[0]
    other, tok = random_llama(seed=5, hidden=64, layers=2, heads=4, kv_heads=2)
    engine.update_weights(other.state_dict())
    after = engine.generate([p + first.token_ids], greedy)[0]
    assert after.usage.prefill_reused == 0
    expected = HFEngine(other, tok).generate([p + first.token_ids], greedy)[0].outputs[0]
    assert after.outputs[0].token_ids[:8] == expected.token_ids[:8]
