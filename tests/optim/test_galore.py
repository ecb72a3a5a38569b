import copy
import warnings

import pytest
import torch

from reasonlab.optim import GaLoreAdamW, galore_param_groups
from reasonlab.optim.projectors import Basis, is_orthonormal
from reasonlab.testbed.random_model import random_llama


def grads(shape, steps, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(*shape, generator=g) for _ in range(steps)]


def test_full_rank_falls_back_to_exactly_torch_adamw():
    torch.manual_seed(0)
    w0 = torch.randn(6, 4)
    a, b = torch.nn.Parameter(w0.clone()), torch.nn.Parameter(w0.clone())
    ours = GaLoreAdamW([{"params": [a], "rank": 4}], lr=1e-2, weight_decay=0.1)
    ref = torch.optim.AdamW([b], lr=1e-2, weight_decay=0.1, foreach=False)
    with pytest.warns(RuntimeWarning, match="plain AdamW"):
        for g in grads((6, 4), 8):
            a.grad, b.grad = g.clone(), g.clone()
            ours.step()
            ref.step()
    assert torch.equal(a, b)


def test_plain_groups_match_torch_adamw_default_within_float_noise():
    torch.manual_seed(0)
    w0 = torch.randn(10)
    a, b = torch.nn.Parameter(w0.clone()), torch.nn.Parameter(w0.clone())
    ours, ref = (
        GaLoreAdamW([a], lr=1e-2, weight_decay=0.01),
        torch.optim.AdamW([b], lr=1e-2, weight_decay=0.01),
    )
    for g in grads((10,), 5):
        a.grad, b.grad = g.clone(), g.clone()
        ours.step()
        ref.step()
    assert torch.allclose(a, b, atol=1e-7)


def run(opt_groups, param, gradients):
    opt = GaLoreAdamW(opt_groups, lr=1e-2)
    for g in gradients:
        param.grad = g.clone()
        opt.step()
    return opt


def test_residual_correction_lowers_moment_reconstruction_error():
    shape = (40, 30)
    gradients = [g + 3 * torch.outer(torch.ones(40), torch.ones(30)) for g in grads(shape, 30)]
    full = torch.nn.Parameter(torch.zeros(shape))
    run([full], full, gradients)
    exact_m = None
    ref = torch.optim.AdamW([full], lr=1e-2)
    full.data.zero_()
    for g in gradients:
        full.grad = g.clone()
        ref.step()
    exact_m = ref.state[full]["exp_avg"]
    errors = {}
    for density in (0.0, 0.2):
        p = torch.nn.Parameter(torch.zeros(shape))
        groups = [
            {
                "params": [p],
                "rank": 4,
                "update_proj_gap": 1000,
                "residual_density": density,
                "residual_warmup": 0,
            }
        ]
        opt = run(groups, p, gradients)
        st = opt.state[p]
        basis = Basis(st["side"], st["basis"])
        approx = basis.back(st["exp_avg"]).reshape(-1).clone()
        if density:
            approx[st["res_index"]] += st["res_exp_avg"]
        errors[density] = float((approx - exact_m.reshape(-1)).norm())
    assert errors[0.2] < 0.95 * errors[0.0]


@pytest.mark.parametrize("projector", ["svd", "rsi"])
def test_state_dict_round_trip_gives_the_same_next_step(projector):
    shape = (24, 16)
    gs = grads(shape, 6)
    p = torch.nn.Parameter(torch.randn(shape))
    group = {
        "params": [p],
        "rank": 4,
        "update_proj_gap": 2,
        "projector": projector,
        "residual_density": 0.1,
        "residual_warmup": 2,
    }
    opt = GaLoreAdamW([group], lr=1e-2)
    for g in gs[:4]:
        p.grad = g.clone()
        opt.step()
    saved, saved_p = copy.deepcopy(opt.state_dict()), p.detach().clone()
    for g in gs[4:]:
        p.grad = g.clone()
        opt.step()
    expected = p.detach().clone()
    q = torch.nn.Parameter(saved_p.clone())
    again = GaLoreAdamW([{**group, "params": [q]}], lr=1e-2)
    again.load_state_dict(saved)
    for g in gs[4:]:
        q.grad = g.clone()
        again.step()
    assert torch.equal(q, expected)


def test_bad_gradients_do_not_crash_or_poison():
    p = torch.nn.Parameter(torch.ones(12, 8))
    opt = GaLoreAdamW([{"params": [p], "rank": 2, "update_proj_gap": 1}], lr=1e-2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        p.grad = torch.zeros(12, 8)  # nothing to decompose at the first refresh
        opt.step()
        p.grad = torch.full((12, 8), float("nan"))
        opt.step()
        ill = torch.outer(torch.arange(12.0), torch.arange(8.0)) * 1e30  # rank one, huge
        p.grad = ill
        opt.step()
    assert torch.isfinite(p).all()
    assert {"all-zero" in str(w.message) or "non-finite" in str(w.message) for w in caught} == {True}
    assert is_orthonormal(Basis(opt.state[p]["side"], opt.state[p]["basis"]))


def test_flattened_parameters_are_refused():
    with pytest.raises(ValueError, match="only 2-D weights can be projected"):
        GaLoreAdamW([{"params": [torch.nn.Parameter(torch.zeros(100))], "rank": 4}])


def test_param_groups_for_a_llama_and_training_reduces_loss(tiny):
    model, tok = random_llama(seed=0, hidden=64, layers=2, heads=4, kv_heads=2)
    groups = galore_param_groups(
        model, rank=8, update_proj_gap=5, scale=1.0, projector="cross_head", residual_density=0.01
    )
    kinds = sorted((g.get("projector"), g.get("head_axis")) for g in groups if "rank" in g)
    assert ("cross_head", 0) in kinds and ("cross_head", 1) in kinds and ("rsi", None) in kinds
    projected = sum(len(g["params"]) for g in groups if "rank" in g)
    assert projected == 2 * 7  # q k v o gate up down per layer
    opt = GaLoreAdamW(groups, lr=3e-3)
    ids = torch.tensor([tok.encode("12+7=19\n\n19*3=57 -> 57\n\n57-8=49", add_special_tokens=False)] * 4)
    losses = []
    for _ in range(30):
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    assert opt.state_bytes() < sum(p.numel() * 4 * 2 for p in model.parameters())
