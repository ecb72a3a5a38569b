"""Process reward models: scores at step ends, batched, causal, saved and loaded in the open layouts."""

import json

import pytest
import torch
from safetensors.torch import save_file
from tokenizers import ByteLevelBPETokenizer
from transformers import LlamaConfig, LlamaModel, Qwen2Config, Qwen2Model, Qwen2Tokenizer

from reasonlab.core.errors import ReasonlabError
from reasonlab.rewards.prm import PRMLayout, PRMReward, ProcessRewardModel, aggregate_steps, load_prm
from reasonlab.tasks import create_task
from reasonlab.testbed.tokenizer import build_tokenizer

TASK = create_task("arith")


def _tiny_prm(layout=PRMLayout(), seed=0) -> ProcessRewardModel:
    torch.manual_seed(seed)
    tok = build_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
    )  # fmt: skip
    prm = ProcessRewardModel(LlamaModel(config), tok, layout)
    torch.nn.init.normal_(prm.head.summary.weight, std=1.0)  # scores spread over (0, 1)
    return prm.eval()


def test_a_steps_score_depends_on_it_and_what_came_before_only():
    prm = _tiny_prm()
    problem = TASK.problem(0)
    steps = TASK.reference_steps(problem)
    full = prm.score_steps_batch([problem.question], [steps])[0]
    assert len(full) == len(steps) and all(0 < s < 1 for s in full)
    prefix = prm.score_steps_batch([problem.question], [steps[:2]])[0]
    assert prefix == pytest.approx(full[:2], abs=1e-5)
    changed = prm.score_steps_batch([problem.question], [[*steps[:2], "1+1=3", *steps[3:]]])[0]
    assert changed[:2] == pytest.approx(full[:2], abs=1e-5) and changed[2] != pytest.approx(full[2], abs=1e-5)


def test_batched_scores_equal_one_by_one():
    prm = _tiny_prm()
    problems = [TASK.problem(i) for i in range(4)]
    steps = [TASK.reference_steps(p)[: 1 + i] for i, p in enumerate(problems)]  # ragged
    batched = prm.score_steps_batch([p.question for p in problems], steps, batch_size=4)
    for p, s, b in zip(problems, steps, batched):
        assert prm.score_steps_batch([p.question], [s])[0] == pytest.approx(b, abs=1e-5)


def test_saved_and_loaded_it_scores_the_same(tmp_path):
    prm = _tiny_prm(PRMLayout(aggregation="min"))
    prm.save_pretrained(tmp_path / "prm")
    again = load_prm(str(tmp_path / "prm"))
    assert again.layout == prm.layout
    problem = TASK.problem(3)
    steps = TASK.reference_steps(problem)
    assert again.score_steps_batch([problem.question], [steps])[0] == pytest.approx(
        prm.score_steps_batch([problem.question], [steps])[0], abs=1e-6
    )
    reward = PRMReward(again)
    completion = "\n\n".join(steps)
    assert reward.score(problem, completion) == pytest.approx(min(reward.score_steps(problem, steps)))


def test_aggregations():
    assert aggregate_steps([0.9, 0.5, 0.8], "last") == 0.8
    assert aggregate_steps([0.9, 0.5, 0.8], "min") == 0.5
    assert aggregate_steps([0.9, 0.5, 0.8], "prod") == pytest.approx(0.36)
    assert aggregate_steps([], "last") != aggregate_steps([], "last")  # NaN: nothing to judge


def test_bad_layouts_are_one_line_errors(tmp_path):
    with pytest.raises(ReasonlabError, match="PRM head 'linear'"):
        PRMLayout(head="linear").validate()
    with pytest.raises(ReasonlabError, match="step separator is empty"):
        PRMLayout(step_separator="").validate()
    folder = tmp_path / "plain"
    _tiny_prm().backbone.save_pretrained(folder)
    with pytest.raises(ReasonlabError, match="has no PRM head"):
        load_prm(str(folder))


CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _qwen_tokenizer(bos: str | None = None) -> Qwen2Tokenizer:
    """A tiny byte-level BPE Qwen2 tokenizer with Qwen's special tokens and a ChatML template."""
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        ["What is 2+3? 2+3=5\nSo the answer is 5.\n\n"] * 10, vocab_size=300, min_frequency=1
    )
    model = json.loads(bpe._tokenizer.to_str())["model"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in model["merges"]]
    tok = Qwen2Tokenizer(
        vocab=model["vocab"], merges=merges, eos_token="<|im_end|>", pad_token="<|endoftext|>"
    )
    tok.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>", "<extra_0>"]})
    if bos is not None:
        tok.bos_token = bos
    tok.chat_template = CHATML
    return tok


def _qwen2_checkpoint(folder, tok, head: dict, architecture: str) -> Qwen2Model:
    """A tiny Qwen2 PRM folder laid out as the open checkpoints are: backbone at model.*, the head's
    keys beside it, the architecture's name in config.json."""
    torch.manual_seed(1)
    config = Qwen2Config(
        vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
    )  # fmt: skip
    backbone = Qwen2Model(config).eval()
    folder.mkdir()
    weights = {f"model.{k}": v.contiguous() for k, v in backbone.state_dict().items()}
    save_file({**weights, **head}, folder / "model.safetensors", metadata={"format": "pt"})
    config.architectures = [architecture]
    config.save_pretrained(folder)
    tok.save_pretrained(folder)
    return backbone


def _hidden(backbone, ids: list[int]) -> torch.Tensor:
    with torch.no_grad():
        return backbone(input_ids=torch.tensor([ids])).last_hidden_state[0]


def test_a_skywork_layout_scores_as_its_reference_code(tmp_path):
    """BOS + question + newline, each step followed by the step token, sigmoid(v_head) there."""
    tok = _qwen_tokenizer(bos="<|im_start|>")
    w, b = torch.randn(1, 32), torch.randn(1)
    backbone = _qwen2_checkpoint(
        tmp_path / "sky", tok, {"v_head.summary.weight": w, "v_head.summary.bias": b}, "Qwen2ForPrmModel"
    )
    prm = load_prm(str(tmp_path / "sky"))
    assert (prm.layout.head, prm.layout.step_separator, prm.layout.prompt) == ("value", "\n", "plain")
    question, steps = "What is 2+3?", ["2+3=5", "So the answer is 5."]
    ids = tok.encode("<|im_start|>" + question + "\n", add_special_tokens=False)
    flags = []
    for step in steps:
        ids += tok.encode(step, add_special_tokens=False) + [tok.encode("\n", add_special_tokens=False)[-1]]
        flags.append(len(ids) - 1)
    expected = torch.sigmoid(_hidden(backbone, ids)[flags] @ w.T + b).squeeze(-1)
    assert prm.score_steps_batch([question], [steps])[0] == pytest.approx(expected.tolist(), abs=1e-5)


def test_a_qwen_math_prm_layout_scores_as_its_model_card(tmp_path):
    """System + user + assistant turns, steps joined and ended by <extra_0>, softmax class 1 there."""
    tok = _qwen_tokenizer()
    h = 32
    head = {"score.0.weight": torch.randn(h, h), "score.0.bias": torch.randn(h),
            "score.2.weight": torch.randn(2, h), "score.2.bias": torch.randn(2)}  # fmt: skip
    backbone = _qwen2_checkpoint(tmp_path / "qwen", tok, head, "Qwen2ForProcessRewardModel")
    prm = load_prm(str(tmp_path / "qwen"))
    assert (prm.layout.head, prm.layout.step_separator) == ("two-class", "<extra_0>")
    question, steps = "What is 2+3?", ["2+3=5", "So the answer is 5."]
    messages = [
        {"role": "system", "content": prm.layout.system_prompt},
        {"role": "user", "content": question},
        {"role": "assistant", "content": "<extra_0>".join(steps) + "<extra_0>"},
    ]
    text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=False)
    ids = tok.encode(text, add_special_tokens=False)
    sep = tok.convert_tokens_to_ids("<extra_0>")
    hidden = _hidden(backbone, ids)[[i for i, t in enumerate(ids) if t == sep]]
    logits = torch.relu(hidden @ head["score.0.weight"].T + head["score.0.bias"]) @ head["score.2.weight"].T
    expected = torch.softmax(logits + head["score.2.bias"], -1)[:, 1]
    assert prm.score_steps_batch([question], [steps])[0] == pytest.approx(expected.tolist(), abs=1e-5)


def test_incremental_scores_equal_full_rescoring_and_count_only_new_tokens():
    from reasonlab.rewards.prm import IncrementalPRM

    prm = _tiny_prm()
    problem = TASK.problem(2)
    steps = TASK.reference_steps(problem)
    prompt = prm.prompt_ids(problem.question)
    inc = IncrementalPRM(prm)
    inc.start("a", prompt)
    sep = prm.separator_ids
    step_ids = [prm.tokenizer.encode(s, add_special_tokens=False) + sep for s in steps]
    wrong = prm.tokenizer.encode("1+1=3", add_special_tokens=False) + sep
    got = []
    for k, ids in enumerate(step_ids):
        if k == 1:  # a rejected step leaves no trace
            inc.score("a", wrong)
            inc.reject("a")
        got.append(inc.score("a", ids))
    assert got == pytest.approx(prm.score_steps_batch([problem.question], [steps])[0], abs=1e-5)
    assert inc.usage.prefill_computed == len(prompt) + sum(map(len, step_ids)) + len(wrong)
    # a step another model wrote is appended unscored; what follows is scored on top of it
    inc.start("b", prompt)
    inc.extend("b", step_ids[0])
    after = inc.score("b", step_ids[1])
    assert after == pytest.approx(prm.score_steps_batch([problem.question], [steps[:2]])[0][1], abs=1e-5)
