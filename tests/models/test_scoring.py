"""Teacher-forced scoring against plain, unpadded forward passes of each sequence alone."""

import random

import pytest
import torch

from reasonlab.models.scoring import forward_scores, pack, score_completions
from reasonlab.testbed.random_model import random_llama


@pytest.fixture(scope="module")
def llama():
    model, tokenizer = random_llama(seed=3, hidden=64, layers=2, heads=4, kv_heads=2)
    return model, tokenizer


def _rows(seed: int = 0, n: int = 6):
    rng = random.Random(seed)
    prompts = [[rng.randrange(5, 90) for _ in range(rng.randint(1, 12))] for _ in range(n)]
    completions = [[rng.randrange(5, 90) for _ in range(rng.randint(0, 9))] for _ in range(n)]
    return prompts, completions


def _alone(model, prompt, completion, temperature=1.0):
    """Log-probability and entropy of each completion token from one unpadded forward pass."""
    ids = torch.tensor([prompt + completion])
    with torch.no_grad():
        log_p = torch.log_softmax(model(input_ids=ids).logits[0].float() / temperature, -1)
    lp, ent = [], []
    for j, token in enumerate(completion):
        row = log_p[len(prompt) + j - 1]
        lp.append(row[token].item())
        ent.append(-(row.exp() * row).sum().item())
    return lp, ent


@pytest.mark.parametrize("temperature", [1.0, 0.6])
def test_batched_scores_match_each_sequence_scored_alone(llama, temperature):
    model, tok = llama
    prompts, completions = _rows()
    scored = score_completions(
        model, prompts, completions, tok.pad_token_id, batch_size=4, temperature=temperature
    )
    for p, c, s in zip(prompts, completions, scored):
        lp, ent = _alone(model, p, c, temperature)
        assert len(s.logprobs) == len(c)
        assert s.logprobs == pytest.approx(lp, abs=1e-4)
        assert s.entropies == pytest.approx(ent, abs=1e-4)


def test_padding_is_masked_and_gradients_flow_to_the_weights(llama):
    model, tok = llama
    prompts, completions = _rows(seed=1, n=3)
    completions[0] = []
    batch = pack(prompts, completions, tok.pad_token_id)
    scores = forward_scores(model, batch)
    assert scores.mask.sum().item() == sum(map(len, completions))
    assert (scores.logprobs[scores.mask == 0] == 0).all() and (scores.entropies[scores.mask == 0] == 0).all()
    model.zero_grad()
    (scores.logprobs.sum()).backward()
    grad = model.model.embed_tokens.weight.grad
    assert grad is not None and grad.abs().sum() > 0
    model.zero_grad()


def test_bad_batches_are_refused_by_name(llama):
    model, tok = llama
    with pytest.raises(ValueError, match="2 prompts for 1 completions"):
        pack([[1], [2]], [[3]], tok.pad_token_id)
    with pytest.raises(ValueError, match="at least one token"):
        pack([[]], [[3]], tok.pad_token_id)
    with pytest.raises(ValueError, match="temperature"):
        forward_scores(model, pack([[5]], [[6]], tok.pad_token_id), temperature=0)
