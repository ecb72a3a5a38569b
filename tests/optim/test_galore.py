import copy
import math
import warnings

import pytest
import torch

from reasonlab.jobs.galore_bench import low_rank_gradient
from reasonlab.optim import GaLoreAdamW, galore_param_groups
from reasonlab.optim.galore import RESIDUAL_POOL
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


def residual_group(p, **options):
    return [{"params": [p], "rank": 2, "update_proj_gap": 1000, "residual_warmup": 0, **options}]


def test_residual_moments_are_the_low_rank_estimate_plus_the_sparse_residual():
    """GaLore+'s correction on the index set: M = P M_low + S_M with S_M the moving average of the
    residual gradient R = G - P P^T G, and V likewise; for a fixed basis that is full Adam's M and V."""
    shape, steps, (beta1, beta2) = (40, 30), 6, (0.9, 0.999)
    gradients = [g + 3 * torch.outer(torch.ones(40), torch.ones(30)) for g in grads(shape, steps)]
    p = torch.nn.Parameter(torch.zeros(shape))
    opt = run(residual_group(p, residual_density=0.2), p, gradients)
    st = opt.state[p]
    idx, basis = st["res_index"], Basis(st["side"], st["basis"])
    s_m = torch.zeros(len(idx))
    full_m, full_v = torch.zeros(len(idx)), torch.zeros(len(idx))
    for g in gradients:  # by hand, on the index set only
        r = (g - basis.back(basis.project(g))).reshape(-1)[idx]
        s_m = beta1 * s_m + (1 - beta1) * r
        gi = g.reshape(-1)[idx]
        full_m = beta1 * full_m + (1 - beta1) * gi
        full_v = beta2 * full_v + (1 - beta2) * gi * gi
    low_rank_m = basis.back(st["exp_avg"]).reshape(-1)[idx]
    assert torch.allclose(low_rank_m + s_m, full_m, atol=1e-5)
    assert torch.allclose(st["res_exp_avg"], full_m, atol=1e-5)
    assert torch.allclose(st["res_exp_avg_sq"], full_v, rtol=1e-5)


def test_a_corrected_entry_moves_by_one_adam_step_not_two():
    """With a constant gradient Adam's normalised step is +-1 per entry, so an entry of the index set
    moves by lr * scale each step. Adding an independent residual step to the low-rank step moved it
    by up to twice that."""
    lr, scale = 1e-2, 0.5
    g = torch.randn(12, 8, generator=torch.Generator().manual_seed(0))
    p = torch.nn.Parameter(torch.zeros(12, 8))
    opt = GaLoreAdamW(residual_group(p, residual_density=0.25, scale=scale), lr=lr)
    for _ in range(5):
        before = p.detach().clone()
        p.grad = g.clone()
        opt.step()
        moved = (p.detach() - before).reshape(-1)[opt.state[p]["res_index"]].abs()
        assert torch.allclose(moved, torch.full_like(moved, lr * scale), rtol=1e-4)


def test_dense_residuals_give_adamw_times_scale():
    """At residual_density 1 every entry is corrected: the update is AdamW's, multiplied by scale once."""
    torch.manual_seed(0)
    w0 = torch.randn(10, 6)
    a, b = torch.nn.Parameter(w0.clone()), torch.nn.Parameter(w0.clone())
    ours = GaLoreAdamW(residual_group(a, residual_density=1.0, scale=1.0), lr=1e-2, weight_decay=0.1)
    ref = torch.optim.AdamW([b], lr=1e-2, weight_decay=0.1, foreach=False)
    for g in grads((10, 6), 8):
        a.grad, b.grad = g.clone(), g.clone()
        ours.step()
        ref.step()
    assert torch.allclose(a, b, atol=1e-6)


def test_residual_warmup_keeps_no_dense_buffer():
    """Choosing the index set must not keep a score per entry: during and after the warm-up the
    residual state is O(k) for k = density * numel (indices and moments), not O(numel)."""
    shape, density, warmup = (200, 300), 0.01, 5
    k = math.ceil(density * shape[0] * shape[1])
    peaks = {}
    for d in (0.0, density):
        p = torch.nn.Parameter(torch.zeros(shape))
        opt = GaLoreAdamW(residual_group(p, residual_density=d, residual_warmup=warmup), lr=1e-2)
        peak = 0
        for g in grads(shape, warmup + 2):
            p.grad = g
            opt.step()
            peak = max(peak, opt.state_bytes())
        peaks[d] = (peak, opt.state_bytes())
    extra_peak, extra_final = (peaks[density][i] - peaks[0.0][i] for i in (0, 1))
    assert extra_peak <= RESIDUAL_POOL * 12 * k  # the candidate pool: int64 index + float32 score
    assert extra_final <= 16 * k  # index + first and second moment
    assert extra_peak < shape[0] * shape[1]  # far below one float32 per entry


def test_warmup_finds_the_entries_the_low_rank_basis_misses():
    """Spikes at fixed entries on top of a rank-2 gradient are what rank 2 cannot hold: the warm-up
    without a dense score still picks exactly them."""
    m, n, density = 40, 50, 0.01
    k = math.ceil(density * m * n)
    gen = torch.Generator().manual_seed(3)
    spikes = torch.randperm(m * n, generator=gen)[:k]
    low = torch.randn(m, 2, generator=gen) @ torch.randn(2, n, generator=gen)
    p = torch.nn.Parameter(torch.zeros(m, n))
    opt = GaLoreAdamW(residual_group(p, residual_density=density, residual_warmup=4), lr=1e-2)
    for _ in range(6):
        g = low + 0.05 * torch.randn(m, n, generator=gen)
        g.view(-1)[spikes] += 5.0
        p.grad = g
        opt.step()
    assert set(opt.state[p]["res_index"].tolist()) == set(spikes.tolist())


def test_warmup_pool_captures_nearly_all_of_the_exact_selection():
    """The hardest case for a candidate pool: the residual is fresh noise every step. The chosen set
    still holds >= 95% of the summed |R| of the exact top-k of a dense score."""
    shape, density = (256, 512), 0.01
    base = low_rank_gradient(*shape, 8, 0)
    gen = torch.Generator().manual_seed(1)
    gs = [base + 0.3 * base.std() * torch.randn(shape, generator=gen) for _ in range(10)]
    p = torch.nn.Parameter(torch.zeros(shape))
    opt = GaLoreAdamW(residual_group(p, rank=8, residual_density=density, residual_warmup=10), lr=1e-3)
    for g in gs:
        p.grad = g.clone()
        opt.step()
    st = opt.state[p]
    basis = Basis(st["side"], st["basis"])
    total = sum((g - basis.back(basis.project(g))).abs() for g in gs).reshape(-1)
    exact = torch.topk(total, math.ceil(density * total.numel())).indices
    assert total[st["res_index"]].sum() >= 0.95 * total[exact].sum()


def test_cross_head_picks_a_random_head_by_default_as_the_paper_does():
    p = torch.nn.Parameter(torch.zeros(16, 8))
    opt = GaLoreAdamW([{"params": [p], "rank": 2, "projector": "cross_head", "num_heads": 4}])
    assert opt.param_groups[0]["head_choice"] == "random"


@pytest.mark.parametrize(("projector", "warmup"), [("svd", 2), ("rsi", 2), ("rsi", 6)])
def test_state_dict_round_trip_gives_the_same_next_step(projector, warmup):
    """Saved after the index set is chosen (warm-up 2) or in the middle of choosing it (warm-up 6)."""
    shape = (24, 16)
    gs = grads(shape, 6)
    p = torch.nn.Parameter(torch.randn(shape))
    group = {
        "params": [p],
        "rank": 4,
        "update_proj_gap": 2,
        "projector": projector,
        "residual_density": 0.1,
        "residual_warmup": warmup,
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
