"""Dropping blocks by module replacement (models/pruned.py): decoding with the KV cache gives what
decoding without it gives, the cache holds one entry per remaining attention, and pruned folders
load back through reasonlab (and plain transformers for whole layers)."""

import json

import pytest
import torch
from safetensors import safe_open
from transformers import AutoModelForCausalLM

from reasonlab.core.errors import ReasonlabError
from reasonlab.models.loading import load_model
from reasonlab.models.pruned import (
    PLAN_FILE,
    DroppedAttention,
    PruningPlan,
    apply_plan,
    blocks_removed,
    decoder_layers,
    save_pruned,
)
from tests.pruning.conftest import prompt_ids

PLANS = {
    "attention": PruningPlan(attention=[2, 3]),
    "attention-of-layer-0": PruningPlan(attention=[0]),  # the cache's first layer: positions come from it
    "mlp": PruningPlan(mlp=[1, 3]),
    "layer": PruningPlan(layers=[0, 2]),
    "mixed": PruningPlan(attention=[1], mlp=[2], layers=[3]),
}


def greedy(model, ids, use_cache, steps=24):
    out = model.generate(
        ids,
        max_new_tokens=steps,
        min_new_tokens=steps,
        do_sample=False,
        use_cache=use_cache,
        return_dict_in_generate=True,
        output_logits=True,
        pad_token_id=0,
    )
    return out.sequences, torch.stack(out.logits)


def assert_cache_agrees(model, tokenizer):
    ids = prompt_ids(tokenizer)
    with torch.no_grad():
        cached, cached_logits = greedy(model, ids, True)
        plain, plain_logits = greedy(model, ids, False)
    assert torch.equal(cached, plain)
    assert torch.allclose(cached_logits, plain_logits, atol=1e-4)
    assert not torch.allclose(cached_logits[1], cached_logits[-1]), "constant logits would prove little"


@pytest.fixture(params=["draft", "qwen2", "mistral"])
def model_and_tokenizer(request):
    if request.param == "draft":
        return load_model("testbed:draft")
    return load_model(request.getfixturevalue(f"{request.param}_dir"))


@pytest.mark.parametrize("kind", list(PLANS))
def test_cached_decoding_equals_uncached_after_each_kind_of_drop(model_and_tokenizer, kind):
    model, tokenizer = model_and_tokenizer
    apply_plan(model, PLANS[kind])
    assert_cache_agrees(model, tokenizer)


def test_the_cache_holds_one_entry_per_remaining_attention(draft):
    model, tokenizer = draft
    apply_plan(model, PruningPlan(attention=[0, 3], layers=[5]))
    layers = decoder_layers(model)
    assert len(layers) == 5 and model.config.num_hidden_layers == 5
    kept = [
        layer.self_attn.layer_idx for layer in layers if not isinstance(layer.self_attn, DroppedAttention)
    ]
    assert kept == [0, 1, 2]
    ids = prompt_ids(tokenizer)
    with torch.no_grad():
        cache = model(ids, use_cache=True).past_key_values
    filled = [
        layer for layer in cache.layers if getattr(layer, "keys", None) is not None and layer.keys.numel()
    ]
    assert len(filled) == 3 and all(layer.keys.shape[-2] == ids.shape[1] for layer in filled)
    assert cache.get_seq_length() == ids.shape[1]


def test_dropping_whole_layers_updates_layer_types(mixed_qwen2_dir):
    model, tokenizer = load_model(mixed_qwen2_dir)
    apply_plan(model, PruningPlan(layers=[1, 3]))
    assert model.config.num_hidden_layers == 3
    assert model.config.layer_types == ["full_attention", "sliding_attention", "sliding_attention"]
    assert_cache_agrees(model, tokenizer)


def test_an_attention_drop_that_would_misalign_sliding_and_full_cache_slots_is_refused(mixed_qwen2_dir):
    model, tokenizer = load_model(mixed_qwen2_dir)
    with pytest.raises(ReasonlabError, match="mixes full_attention and sliding_attention layers"):
        apply_plan(model, PruningPlan(attention=[1]))
    assert not any(isinstance(layer.self_attn, DroppedAttention) for layer in decoder_layers(model))
    with pytest.raises(
        ReasonlabError, match="layer 2 \\(sliding_attention\\) would use the KV cache slot of a full"
    ):
        apply_plan(model, PruningPlan(attention=[1], layers=[0]))  # layer 2's attention would come first
    apply_plan(model, PruningPlan(attention=[3], layers=[0]))  # F S S S left, attention F S - S: fine
    assert_cache_agrees(model, tokenizer)
    model, tokenizer = load_model(mixed_qwen2_dir)
    apply_plan(model, PruningPlan(attention=[4]))  # after the last change of type: nothing moves
    assert_cache_agrees(model, tokenizer)


def test_an_architecture_without_decoder_layers_is_a_one_line_error(gpt2_dir):
    model, _ = load_model(gpt2_dir)
    with pytest.raises(ReasonlabError) as e:
        decoder_layers(model)
    assert "cannot prune GPT2LMHeadModel" in str(e.value) and "\n" not in str(e.value)


def test_bad_plans_are_refused(draft):
    model, _ = draft
    with pytest.raises(ReasonlabError, match="attention index 6 out of range"):
        apply_plan(model, PruningPlan(attention=[6]))
    with pytest.raises(ReasonlabError, match="removes all 6 decoder layers"):
        apply_plan(model, PruningPlan(layers=list(range(6))))


def logits(model, ids):
    with torch.no_grad():
        return model(ids).logits


@pytest.mark.parametrize("kind", ["attention", "mlp", "mixed"])
@pytest.mark.parametrize("source", ["draft", "qwen2"])
def test_sub_block_drops_round_trip_through_load_model(source, kind, tmp_path, request):
    name = "testbed:draft" if source == "draft" else request.getfixturevalue("qwen2_dir")
    model, tokenizer = load_model(name)
    apply_plan(model, PLANS[kind])
    save_pruned(model, tokenizer, tmp_path / "pruned")
    plan = json.loads((tmp_path / "pruned" / PLAN_FILE).read_text())
    assert plan["layers"] == [] and plan["attention"] + plan["mlp"]
    loaded, _ = load_model(str(tmp_path / "pruned"))
    ids = prompt_ids(tokenizer)
    assert torch.equal(logits(loaded, ids), logits(model, ids))
    assert_cache_agrees(loaded, tokenizer)
    # The folder holds no weights of the dropped blocks (plain transformers would initialise them).
    with safe_open(tmp_path / "pruned" / "model.safetensors", "pt") as f:
        saved = set(f.keys())
    gone = [f"model.layers.{i}.self_attn." for i in plan["attention"]]
    gone += [f"model.layers.{i}.mlp." for i in plan["mlp"]]
    assert not [key for key in saved if key.startswith(tuple(gone))]
    assert saved <= set(model.state_dict()) and set(model.state_dict()) - saved <= {"lm_head.weight"}  # tied


def test_whole_layer_drops_load_with_plain_transformers(tmp_path, qwen2_dir):
    model, tokenizer = load_model(qwen2_dir)
    apply_plan(model, PLANS["layer"])
    save_pruned(model, tokenizer, tmp_path / "pruned")
    assert not (tmp_path / "pruned" / PLAN_FILE).exists()
    plain = AutoModelForCausalLM.from_pretrained(tmp_path / "pruned").eval()
    ids = prompt_ids(tokenizer)
    assert plain.config.num_hidden_layers == 3
    assert torch.equal(logits(plain, ids), logits(model, ids))


def test_a_folder_that_does_not_match_its_plan_is_refused(tmp_path, draft):
    model, tokenizer = draft
    apply_plan(model, PruningPlan(attention=[2]))
    save_pruned(model, tokenizer, tmp_path / "pruned")
    (tmp_path / "pruned" / PLAN_FILE).write_text(json.dumps({"attention": [3]}))
    with pytest.raises(ReasonlabError, match="does not match its pruning_plan.json"):
        load_model(str(tmp_path / "pruned"))
    (tmp_path / "pruned" / PLAN_FILE).write_text(json.dumps({"attention": [2], "heads": [1]}))
    with pytest.raises(ReasonlabError, match="unknown keys heads"):
        load_model(str(tmp_path / "pruned"))


def test_blocks_removed_is_temporary_and_equals_a_permanent_drop(draft):
    model, tokenizer = draft
    ids = prompt_ids(tokenizer)
    before = logits(model, ids)
    for block, plan in (("attention", PruningPlan(attention=[2, 4])), ("layer", PruningPlan(layers=[2, 4]))):
        with blocks_removed(model, block, [2, 4]):
            removed = logits(model, ids)
        assert torch.equal(logits(model, ids), before)
        pruned, _ = load_model("testbed:draft")
        assert torch.allclose(logits(apply_plan(pruned, plan), ids), removed, atol=1e-5)
    with pytest.raises(RuntimeError), blocks_removed(model, "mlp", [3]):
        raise RuntimeError("inside")
    assert torch.equal(logits(model, ids), before)


def test_the_engine_decodes_a_pruned_folder(tmp_path, draft):
    """Every command loads models through load_model and samples through the engine, whose prefix
    cache walks every cache layer."""
    from reasonlab.engines.base import SamplingParams
    from reasonlab.engines.hf import HFEngine

    model, tokenizer = draft
    apply_plan(model, PruningPlan(attention=[2, 3]))
    save_pruned(model, tokenizer, tmp_path / "pruned")
    engine = HFEngine.from_pretrained(str(tmp_path / "pruned"))
    ids = prompt_ids(tokenizer)
    params = SamplingParams(n=2, temperature=0.0, max_tokens=16)
    first = engine.generate([ids[0].tolist()], params)[0].outputs
    again = engine.generate([ids[0].tolist()], params)[0].outputs  # served from the prefix cache
    with torch.no_grad():
        expected, _ = greedy(model, ids, use_cache=False, steps=16)
    expected = expected[0, ids.shape[1] :].tolist()
    assert [o.token_ids[: len(expected)] for o in first + again] == [
        expected[: len(o.token_ids)] for o in first + again
    ]


def test_the_vllm_engine_refuses_a_sub_block_pruned_folder_before_loading(tmp_path, draft):
    from reasonlab.engines.vllm import VLLMEngine

    model, tokenizer = draft
    apply_plan(model, PLANS["attention"])
    save_pruned(model, tokenizer, tmp_path / "pruned")
    with pytest.raises(ReasonlabError, match="vLLM cannot apply"):
        VLLMEngine(str(tmp_path / "pruned"))
