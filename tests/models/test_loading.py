import pytest
import torch
from transformers import AutoModelForCausalLM

from reasonlab.core.errors import ReasonlabError
from reasonlab.models import loading
from reasonlab.models.loading import chat_prompt_ids, load_model


def test_loads_a_local_hugging_face_folder(tiny, tiny_dir):
    model, tokenizer = load_model(str(tiny_dir))
    ids = torch.tensor([chat_prompt_ids(tokenizer, "Compute 1+2 from left to right.")])
    with torch.no_grad():
        assert torch.allclose(model(ids).logits, tiny[0](ids).logits, atol=1e-5)
    assert isinstance(AutoModelForCausalLM.from_pretrained(tiny_dir), type(model))


def test_chat_template_opens_thinking(tiny):
    _, tokenizer = tiny
    text = tokenizer.decode(chat_prompt_ids(tokenizer, "Q?", system="Be brief."))
    assert text == "<|system|>Be brief.<|user|>Q?<|assistant|><think>\n"


def test_missing_and_unknown_models_are_clear_errors(tmp_path):
    with pytest.raises(ReasonlabError, match="model not found: /no/such/model"):
        load_model("/no/such/model")
    with pytest.raises(ReasonlabError, match="has no config.json"):
        load_model(str(tmp_path))
    with pytest.raises(ReasonlabError, match="unknown testbed model 'testbed:huge'"):
        load_model("testbed:huge")
    with pytest.raises(ReasonlabError, match="unknown dtype"):
        load_model("testbed:random", dtype="int3")


def test_testbed_list_always_has_the_random_model():
    assert "testbed:random" in loading.testbed_models()


def test_the_open_marker_is_added_when_the_template_leaves_it_out(tiny):
    """Qwen3's template leaves <think> to the model; the official scripts append "<think>\\n"."""
    import copy

    from reasonlab.models.think import detect_think_format

    tokenizer = copy.deepcopy(tiny[1])
    think = detect_think_format(tokenizer)
    opened = chat_prompt_ids(tokenizer, "2+2?", None, think)
    tokenizer.chat_template = tokenizer.chat_template.replace("<think>\n", "")
    bare = chat_prompt_ids(tokenizer, "2+2?")
    assert tokenizer.decode(bare).endswith("<|assistant|>")
    assert chat_prompt_ids(tokenizer, "2+2?", None, think) == opened
    assert chat_prompt_ids(tiny[1], "2+2?", None, think) == opened  # already opened: unchanged
