"""Advantages and losses against hand-computed tensors."""

import math

import pytest
import torch

from reasonlab.rl.advantages import advantages, has_variance
from reasonlab.rl.losses import aggregate, clipped_surrogate, kl_estimate, likelihood_loss


def approx(t: torch.Tensor, v) -> bool:
    return torch.allclose(t, torch.tensor(v, dtype=t.dtype), atol=1e-5)


def test_grpo_uses_the_unbiased_group_std():
    r = torch.tensor([[1.0, 0.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0]])
    a = 0.5 / math.sqrt(1 / 3)  # mean 0.5; unbiased std sqrt(4 * 0.25 / 3)
    assert approx(advantages("grpo", r), [[a, -a, -a, a], [0, 0, 0, 0]])
    assert approx(advantages("grpo", r, scale="none"), [[0.5, -0.5, -0.5, 0.5], [0, 0, 0, 0]])
    batch_std = torch.tensor([1.0, 0, 0, 1, 1, 1, 1, 1]).std().item()
    b = 0.5 / batch_std
    assert approx(advantages("grpo", r, scale="batch")[0], [b, -b, -b, b])


def test_a_group_of_one_keeps_its_reward():
    assert approx(
        advantages("grpo", torch.tensor([[2.0], [-1.0]])), [[2.0 / (1 + 1e-6)], [-1.0 / (1 + 1e-6)]]
    )


def test_raft_and_raftpp_keep_positive_rewards_only():
    r = torch.tensor([[-1.0, 1.0, 1.0]])
    assert approx(advantages("raft", r), [[0, 1, 1]]) and approx(advantages("raftpp", r), [[0, 1, 1]])


def test_reinforce_rej_zeroes_groups_that_agree_and_keeps_raw_rewards():
    r = torch.tensor([[-1.0, 1.0], [1.0, 1.0], [-1.0, -1.0], [0.3, 0.3]])
    assert approx(advantages("reinforce-rej", r), [[-1, 1], [0, 0], [0, 0], [0, 0]])
    assert approx(advantages("reinforce", r), r.tolist())
    assert has_variance(r).tolist() == [True, False, False, False]  # also the continuous 0.3 / 0.3
    # the paper's ablations: reject one side only
    assert approx(advantages("reinforce-rej", r, reject="all-correct"), [[-1, 1], [0, 0], [-1, -1], [0, 0]])
    assert approx(advantages("reinforce-rej", r, reject="all-wrong"), [[-1, 1], [1, 1], [0, 0], [0.3, 0.3]])


def test_unknown_algorithm_and_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="unknown algorithm 'ppo'"):
        advantages("ppo", torch.zeros(2, 2))
    with pytest.raises(ValueError, match="groups, responses"):
        advantages("grpo", torch.zeros(4))


def test_clipped_surrogate_takes_the_pessimistic_branch():
    logp = torch.log(torch.tensor([[1.5, 1.5, 0.5, 0.5]]))
    old = torch.zeros(1, 4)
    loss, clipped = clipped_surrogate(logp.T, old.T, torch.tensor([1.0, -1.0, 1.0, -1.0]))
    assert approx(loss.squeeze(-1), [-1.2, 1.5, -0.5, 0.8])
    assert clipped.squeeze(-1).tolist() == [True, False, False, True]
    high, _ = clipped_surrogate(logp.T, old.T, torch.ones(4), clip_low=0.2, clip_high=0.28)
    assert high[0].item() == pytest.approx(-1.28)  # DAPO's clip-higher


def test_dual_clip_caps_the_loss_of_negative_advantages_only():
    logp = torch.log(torch.tensor([[5.0], [5.0], [0.5]]))  # ratios 5, 5, 0.5
    old = torch.zeros(3, 1)
    adv = torch.tensor([-1.0, 1.0, -1.0])
    plain, _ = clipped_surrogate(logp, old, adv)
    dual, _ = clipped_surrogate(logp, old, adv, dual_clip=3.0)
    assert approx(plain.squeeze(-1), [5.0, -1.2, 0.8])
    assert approx(dual.squeeze(-1), [3.0, -1.2, 0.8])  # -A c = 3 caps -A s = 5; A > 0 untouched


def test_likelihood_loss_weights_log_probs_by_the_advantage():
    logp = torch.tensor([[-1.0, -2.0], [-0.5, -0.5]])
    assert approx(likelihood_loss(logp, torch.tensor([1.0, 0.0])), [[1.0, 2.0], [0.0, 0.0]])


def test_kl_estimators_and_their_clamp():
    logp, ref = torch.zeros(1), torch.log(torch.tensor([0.5]))
    assert kl_estimate(logp, ref, "k1").item() == pytest.approx(math.log(2))
    assert kl_estimate(logp, ref, "k2").item() == pytest.approx(0.5 * math.log(2) ** 2)
    assert kl_estimate(logp, ref, "k3").item() == pytest.approx(0.5 + math.log(2) - 1)
    assert kl_estimate(torch.tensor([20.0]), torch.zeros(1), "k1").item() == 10.0
    assert kl_estimate(torch.tensor([-20.0]), torch.zeros(1), "k3").item() == 10.0
    with pytest.raises(ValueError, match="k4"):
        kl_estimate(logp, ref, "k4")


def test_k3_keeps_a_finite_gradient_where_the_policy_and_reference_disagree_wildly():
    logp = torch.zeros(2, requires_grad=True)
    kl_estimate(logp, torch.tensor([-200.0, 200.0]), "k3").sum().backward()
    assert torch.isfinite(logp.grad).all()


def test_aggregations():
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 0.0, 0.0]])
    mask = torch.tensor([[1, 1, 1], [1, 0, 0]])
    assert aggregate(x, mask, "token-mean").item() == pytest.approx(2.5)
    assert aggregate(x, mask, "seq-mean").item() == pytest.approx(3.0)
    assert aggregate(x, mask, "sum-norm", max_length=4).item() == pytest.approx(1.25)
    with pytest.raises(ValueError, match="unknown aggregation"):
        aggregate(x, mask, "mean")
