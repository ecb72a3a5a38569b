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


def test_testbed_handles_load_in_a_fresh_interpreter_without_importing_the_testbed_first():
    """The models layer serves `testbed:<name>` through its registry; `import reasonlab` wires the
    testbed in without importing it (or torch)."""
    import subprocess
    import sys

    code = (
        "import sys, reasonlab\n"
        "assert 'reasonlab.testbed' not in sys.modules and 'torch' not in sys.modules\n"
        "from reasonlab.models.loading import resolve_model_path, testbed_models\n"
        "print(sorted(testbed_models()))\n"
        "print(resolve_model_path('testbed:draft').name)\n"
        "model, _ = reasonlab.load_model('testbed:random')\n"
        "print(type(model).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:3] == [
        "['testbed:deep', 'testbed:draft', 'testbed:logic', 'testbed:orm', 'testbed:prm', 'testbed:random', "
        "'testbed:target']",
        "draft",
        "LlamaForCausalLM",
    ]


def test_a_registered_source_serves_its_handles_and_a_second_source_is_refused(tiny_dir, monkeypatch):
    from reasonlab.models import registry

    monkeypatch.setattr(registry, "_SOURCES", dict(registry._SOURCES))
    source = lambda: {"mine:tiny": registry.Handle("a test model", path=tiny_dir)}  # noqa: E731
    registry.register_handles("mine", source)
    registry.register_handles("mine", source)  # the same source again: harmless
    assert loading.resolve_model_path("mine:tiny") == tiny_dir
    assert loading.testbed_models()["mine:tiny"] == "a test model"
    with pytest.raises(ReasonlabError, match=r"unknown mine model 'mine:huge' \(available: mine:tiny\)"):
        load_model("mine:huge")

    def another_source():
        return {}

    with pytest.raises(ReasonlabError, match="already registered"):
        registry.register_handles("mine", another_source)
    assert load_model("mine:tiny")[0].config.hidden_size == 64
