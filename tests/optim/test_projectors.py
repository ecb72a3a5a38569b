import pytest
import torch

from reasonlab.optim.projectors import (
    captured_energy,
    cross_head_basis,
    is_orthonormal,
    principal_angles,
    rsi_basis,
    std_side,
    svd_basis,
)


def low_rank_plus_noise(m, n, r, noise=1e-3, seed=0):
    g = torch.Generator().manual_seed(seed)
    u, _ = torch.linalg.qr(torch.randn(m, r, generator=g))
    v, _ = torch.linalg.qr(torch.randn(n, r, generator=g))
    s = torch.linspace(10, 1, r)
    return u @ torch.diag(s) @ v.T + noise * torch.randn(m, n, generator=g)


@pytest.mark.parametrize("shape", [(96, 64), (64, 96)])
def test_bases_are_orthonormal_and_project_the_smaller_side(shape):
    g = torch.randn(*shape, generator=torch.Generator().manual_seed(1))
    side = std_side(shape)
    for basis in (svd_basis(g, 8, side), rsi_basis(g, 8, side, generator=torch.Generator().manual_seed(0))):
        assert is_orthonormal(basis) and basis.rank == 8
        low = basis.project(g)
        assert low.shape == ((shape[0], 8) if side == "right" else (8, shape[1]))
        assert basis.back(low).shape == g.shape


@pytest.mark.parametrize("shape", [(256, 128), (128, 256)])
def test_rsi_finds_the_svd_subspace_of_low_rank_plus_noise(shape):
    g = low_rank_plus_noise(*shape, r=16)
    side = std_side(shape)
    exact = svd_basis(g, 16, side)
    approx = rsi_basis(g, 16, side, oversample=8, power_iters=2, generator=torch.Generator().manual_seed(0))
    cols = (lambda b: b.matrix.T) if side == "right" else (lambda b: b.matrix)
    assert principal_angles(cols(exact), cols(approx)).max() < 0.5  # degrees
    assert captured_energy(g, approx) == pytest.approx(captured_energy(g, exact), rel=1e-4)


def test_rsi_warm_start_needs_no_power_iteration_to_track_a_drifting_gradient():
    g = low_rank_plus_noise(200, 120, r=16, noise=0.05)
    first = rsi_basis(g, 8, "right", power_iters=3, generator=torch.Generator().manual_seed(0))
    drifted = g + 0.01 * torch.randn(200, 120, generator=torch.Generator().manual_seed(10))
    exact = svd_basis(drifted, 8, "right")
    cheap = dict(oversample=2, power_iters=0, generator=torch.Generator().manual_seed(1))
    warm = rsi_basis(drifted, 8, "right", warm=first, **cheap)
    cold = rsi_basis(drifted, 8, "right", **{**cheap, "generator": torch.Generator().manual_seed(1)})
    assert principal_angles(exact.matrix.T, warm.matrix.T).max() < 2.0
    assert principal_angles(exact.matrix.T, cold.matrix.T).max() > 20.0
    assert captured_energy(drifted, warm) == pytest.approx(captured_energy(drifted, exact), rel=1e-4)


def test_cross_head_shares_one_heads_basis_on_a_real_attention_gradient(tiny):
    model, tok = tiny
    model.zero_grad()
    ids = torch.tensor(
        [tok.encode("Compute 12+7*3 from left to right, modulo 100.", add_special_tokens=False)]
    )
    model(input_ids=ids, labels=ids).loss.backward()
    cfg = model.config
    head_dim = cfg.hidden_size // cfg.num_attention_heads
    q_grad = model.model.layers[0].self_attn.q_proj.weight.grad  # (heads * d_head) x d
    basis, head = cross_head_basis(q_grad, head_dim, cfg.num_attention_heads, head_axis=0, head_choice="norm")
    blocks = torch.chunk(q_grad, cfg.num_attention_heads, dim=0)
    assert head == int(torch.stack([b.norm() for b in blocks]).argmax())
    assert basis.side == "right" and is_orthonormal(basis) and basis.rank == head_dim
    assert basis.project(q_grad).shape == (q_grad.shape[0], head_dim)
    # The chosen head's own block is captured fully; the shared basis beats a random one on the rest.
    assert captured_energy(blocks[head], basis) == pytest.approx(1.0, abs=1e-5)
    rand, _ = torch.linalg.qr(
        torch.randn(q_grad.shape[1], head_dim, generator=torch.Generator().manual_seed(0))
    )
    from reasonlab.optim.projectors import Basis

    assert captured_energy(q_grad, basis) > captured_energy(q_grad, Basis("right", rand.T))
    o_grad = model.model.layers[0].self_attn.o_proj.weight.grad  # d x (heads * d_head)
    o_basis, _ = cross_head_basis(o_grad, 4, cfg.num_attention_heads, head_axis=1)
    assert (
        o_basis.side == "left"
        and is_orthonormal(o_basis)
        and o_basis.project(o_grad).shape == (4, o_grad.shape[1])
    )
