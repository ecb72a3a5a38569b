"""Block scores, drop orders, protected layers and calibration data."""

import math

import pytest
import torch

from reasonlab.core.errors import ReasonlabError
from reasonlab.models.pruned import PruningPlan, apply_plan, blocks_removed
from reasonlab.models.think import detect_think_format
from reasonlab.pruning.calibration import encode_task, read_texts, task_problems
from reasonlab.pruning.capture import StateCapture
from reasonlab.pruning.entropy import knn_entropy
from reasonlab.pruning.nll import calibration_nll, greedy_nll
from reasonlab.pruning.ranking import drop_order
from reasonlab.pruning.scores import EstimatorSettings, state_scores
from reasonlab.pruning.select import check_k, droppable, lowest_first, parse_protect
from reasonlab.tasks import create_task

ALL = ["entropy-knn", "entropy-bucket", "entropy-renyi", "cosine"]
BLOCKS = ["attention", "mlp", "layer"]


def texts_for(tokenizer, n=3, seq_len=96):
    task = create_task("arith")
    return encode_task(task_problems(task, n), task, tokenizer, seq_len, detect_think_format(tokenizer))


def test_arith_calibration_texts_are_prompt_trace_close_and_answer(draft):
    _, tokenizer = draft
    task = create_task("arith")
    problem = task.problem(0)
    (ids,) = encode_task([problem], task, tokenizer, 10_000, detect_think_format(tokenizer))
    text = tokenizer.decode(ids)
    assert text.startswith("<|user|>" + problem.question + "<|assistant|><think>\n")
    assert "\n\n".join(task.reference_steps(problem)) + "\n</think>\n\nThe answer is \\boxed{" in text
    assert ids[-1] == tokenizer.eos_token_id
    assert len(texts_for(tokenizer, 2, seq_len=40)[0]) == 40


def test_state_scores_match_the_estimators_on_the_captured_states(draft):
    model, tokenizer = draft
    texts = texts_for(tokenizer, 2)
    scored = state_scores(model, texts, ALL, BLOCKS, EstimatorSettings(batch_size=2))
    assert scored.groups == 2 and scored.tokens == sum(map(len, texts))
    assert set(scored.scores) == set(ALL) and all(len(v) == 6 for m in ALL for v in scored.scores[m].values())
    # By hand: kNN entropy increase across layer 3's attention, averaged over the two texts.
    by_hand = []
    with StateCapture(model) as capture, torch.no_grad():
        for t in texts:
            capture.select(torch.zeros(len(t), dtype=torch.long), torch.arange(len(t)))
            model(torch.tensor([t]))
            s = capture.take()[3]
            by_hand.append(knn_entropy(s["attn"]) - knn_entropy(s["in"]))
    assert scored.scores["entropy-knn"]["attention"][3] == pytest.approx(sum(by_hand) / 2, rel=1e-4)
    for m in ALL:  # a whole layer's increase is its attention's plus its MLP's (shared entropies)
        if m != "cosine":
            layer = scored.scores[m]["layer"]
            parts = [a + b for a, b in zip(scored.scores[m]["attention"], scored.scores[m]["mlp"])]
            assert layer == pytest.approx(parts, abs=1e-6)


def test_a_dropped_block_scores_zero_and_goes_first(draft):
    """A block that changes nothing raises no entropy and turns no direction: every state-based
    order drops it first."""
    model, tokenizer = draft
    texts = texts_for(tokenizer, 2)
    with blocks_removed(model, "attention", [3]):
        scored = state_scores(model, texts, ALL, ["attention"])
        for m in ALL:
            assert scored.scores[m]["attention"][3] == pytest.approx(0, abs=1e-6)
    order, details = drop_order(model, texts, "cosine", "attention", [2, 3, 4])
    assert order == lowest_first(details["scores"], [2, 3, 4])


def test_pooled_scores_use_one_sample_of_the_asked_size(draft):
    model, tokenizer = draft
    texts = texts_for(tokenizer, 3)
    settings = EstimatorSettings(pooling="pooled", sample_tokens=100, seed=1)
    scored = state_scores(model, texts, ["entropy-knn", "cosine"], ["attention"], settings)
    assert scored.groups == 1 and scored.tokens == 100
    again = state_scores(model, texts, ["entropy-knn", "cosine"], ["attention"], settings)
    assert again.scores == scored.scores  # the sample is seeded


def test_short_texts_for_the_knn_estimator_are_a_clear_error(draft):
    model, tokenizer = draft
    with pytest.raises(ReasonlabError, match=r"a calibration text has 20 tokens; the kNN estimator \(k=25\)"):
        state_scores(model, texts_for(tokenizer, 2, seq_len=20), ["entropy-knn"], ["attention"])
    with pytest.raises(ReasonlabError, match="calibration data is empty"):
        state_scores(model, [], ["cosine"], ["attention"])


def test_greedy_nll_removes_the_cheapest_block_each_round(draft):
    model, tokenizer = draft
    texts = texts_for(tokenizer, 2)
    greedy = greedy_nll(model, texts, "attention", [2, 3, 4], steps=2)
    assert greedy.baseline == pytest.approx(calibration_nll(model, texts))
    assert greedy.order[0] == min(greedy.alone, key=greedy.alone.get) and len(greedy.order) == 2
    with blocks_removed(model, "attention", greedy.order):
        assert greedy.nll[-1] == pytest.approx(calibration_nll(model, texts), abs=1e-6)
    assert all(v > greedy.baseline for v in greedy.alone.values())  # a trained model loses by any drop


def test_the_nll_counts_every_token_but_the_first(draft):
    model, tokenizer = draft
    (text,) = texts_for(tokenizer, 1)
    with torch.no_grad():
        logp = torch.log_softmax(model(torch.tensor([text])).logits[0, :-1].float(), -1)
    by_hand = -logp.gather(-1, torch.tensor(text[1:])[:, None]).mean().item()
    assert calibration_nll(model, [text]) == pytest.approx(by_hand, rel=1e-5)


def test_protected_layers_and_how_many_blocks_may_go(draft):
    model, _ = draft
    assert parse_protect("0,1,-1", 7) == [0, 1, 6] and parse_protect("none", 7) == []
    with pytest.raises(ReasonlabError, match="layer 9 does not exist"):
        parse_protect("0,9", 7)
    with pytest.raises(ReasonlabError, match="layer indices like 0,1,-1"):
        parse_protect("first", 7)
    assert droppable(model, "attention", [0, 1, 5]) == [2, 3, 4]
    apply_plan(model, PruningPlan(attention=[3]))
    assert droppable(model, "attention", [0, 1, 5]) == [2, 4]  # already dropped: not again
    assert droppable(model, "mlp", [0, 1, 5]) == [2, 3, 4]
    with pytest.raises(
        ReasonlabError, match=r"cannot drop 3 attention blocks: 2 of 6 may be dropped \(protected"
    ):
        check_k(3, "attention", [2, 4], 6, [0, 1, 5])
    with pytest.raises(ReasonlabError, match="k must be at least 1"):
        check_k(0, "layer", [2, 4], 6, [0, 1, 5])


def test_orders_lowest_first_with_ties_by_index_and_seeded_random():
    assert lowest_first([9, 1, 5, 1, math.inf], [1, 2, 3, 4]) == [1, 3, 2, 4]
    a, _ = drop_order(None, [], "random", "layer", [2, 3, 4, 5], EstimatorSettings(seed=3))
    b, _ = drop_order(None, [], "random", "layer", [2, 3, 4, 5], EstimatorSettings(seed=3))
    others = {
        tuple(drop_order(None, [], "random", "layer", [2, 3, 4, 5], EstimatorSettings(seed=s))[0])
        for s in range(8)
    }
    assert a == b and sorted(a) == [2, 3, 4, 5] and len(others) > 1


def test_calibration_files(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"text": "one"}\n\n{"text": "two"}\n{"text": "three"}\n')
    assert read_texts(path, limit=2) == ["one", "two"]
    path.write_text("\n")
    with pytest.raises(ReasonlabError, match="calibration data is empty"):
        read_texts(path)
    path.write_text('{"text": "ok"}\n{"problem": "x"}\n')
    with pytest.raises(ReasonlabError, match=r"c.jsonl:2: expected a \{\"text\": ...\} object"):
        read_texts(path)
    with pytest.raises(ReasonlabError, match="calibration file not found"):
        read_texts(tmp_path / "none.jsonl")
    data = tmp_path / "d.jsonl"
    data.write_text('{"problem": "1+1?", "answer": "2"}\n')
    with pytest.raises(ReasonlabError, match="has no reference traces"):
        task_problems(create_task("jsonl", path=str(data)), 4)


def test_footprint_measures_the_cache_the_model_writes_and_the_perplexity_it_has(draft):
    import copy

    from reasonlab.pruning.footprint import footprint

    model, tokenizer = draft
    cfg = model.config
    per_layer = (
        2 * cfg.num_key_value_heads * (cfg.hidden_size // cfg.num_attention_heads) * 4
    )  # K and V, fp32
    texts = [tokenizer.encode(f"Compute {i}+{i + 7}*3 from left to right.") for i in range(3)]
    full = footprint(model, texts, texts[0], decode_tokens=3)
    assert full["kv_bytes_per_token"] == per_layer * cfg.num_hidden_layers
    assert full["heldout_perplexity"] == pytest.approx(math.exp(calibration_nll(model, texts)))
    assert full["decode_tokens_per_s"] > 0
    pruned = apply_plan(copy.deepcopy(model), PruningPlan.of("attention", [2, 3]))
    assert footprint(pruned, [], texts[0], 0) == {
        "heldout_perplexity": None,
        "kv_bytes_per_token": per_layer * (cfg.num_hidden_layers - 2),
        "decode_tokens_per_s": None,
    }
