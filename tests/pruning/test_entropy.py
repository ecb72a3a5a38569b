"""The estimators on synthetic data whose answer is known."""

import math

import pytest
import torch

from reasonlab.pruning.entropy import bucket_entropy, cosine_change, knn_entropy, renyi_entropy


def gaussian(n, d, scale=1.0, seed=0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed)) * scale


@pytest.mark.parametrize("d,scale", [(2, 1.0), (3, 2.0), (6, 0.5)])
def test_knn_matches_the_entropy_of_a_gaussian(d, scale):
    truth = d / 2 * math.log(2 * math.pi * math.e * scale**2)
    assert knn_entropy(gaussian(3000, d, scale), k=25) == pytest.approx(truth, abs=0.1 * d)


def test_knn_grows_by_d_log_c_when_the_states_are_scaled():
    """Not scale invariant: across a block it partly measures the growth of the residual norm."""
    x = gaussian(500, 8)
    assert knn_entropy(3 * x) - knn_entropy(x) == pytest.approx(8 * math.log(3), abs=1e-4)
    assert knn_entropy(gaussian(500, 8, 2.0)) > knn_entropy(gaussian(500, 8, 1.0))


def test_knn_needs_more_points_than_k():
    with pytest.raises(ValueError, match="more than k=25"):
        knn_entropy(gaussian(25, 3), k=25)


def test_bucket_entropy_of_equally_filled_buckets_is_d_log_b():
    levels = (torch.arange(2000) % 20).float()[:, None].repeat(1, 3)
    assert bucket_entropy(levels, bins=20) == pytest.approx(3 * math.log(20), abs=1e-5)


def test_bucket_entropy_orders_spread_and_ignores_scale():
    uniform = torch.rand(4000, 4, generator=torch.Generator().manual_seed(1))
    x = gaussian(4000, 4)
    assert bucket_entropy(uniform) > bucket_entropy(x)
    assert bucket_entropy(uniform) == pytest.approx(4 * math.log(20), abs=0.02)
    assert bucket_entropy(5 * x + 2) == pytest.approx(bucket_entropy(x), abs=1e-4)  # min-max buckets
    assert bucket_entropy(torch.ones(50, 3)) == 0.0


def clusters(m, per=40, spread=0.001, seed=0):
    """m tight clusters at the corners of a simplex, e_1..e_m in R^m: equally far apart, also after
    standardising (every dimension has the same spread)."""
    return (torch.eye(m) * 10).repeat_interleave(per, 0) + gaussian(m * per, m, spread, seed)


@pytest.mark.parametrize("m", [1, 2, 4, 6])
def test_renyi_of_m_separated_clusters_is_log_m(m):
    x = clusters(m) if m > 1 else gaussian(40, 6, 0.01)
    assert renyi_entropy(x, alpha=4, sigma=0.05 if m > 1 else 1e3) == pytest.approx(math.log(m), abs=1e-3)


def test_renyi_with_the_median_bandwidth_has_the_kernel_matrix_answer():
    """Four clusters, median distance = the distance between clusters: the cross-cluster kernel is
    c = exp(-1/2), so the eigenvalues are (1 + 3c)/4 once and (1 - c)/4 three times."""
    c = math.exp(-0.5)
    big, small = (1 + 3 * c) / 4, (1 - c) / 4
    expected = math.log(big**4 + 3 * small**4) / (1 - 4)
    assert renyi_entropy(clusters(4), alpha=4) == pytest.approx(expected, abs=2e-3)


def test_renyi_grows_with_the_number_of_clusters_and_ignores_scale():
    values = [renyi_entropy(clusters(m), alpha=4) for m in (2, 3, 4, 6)]
    assert values == sorted(values) and values[0] < values[-1]
    x = gaussian(200, 5)
    assert renyi_entropy(7 * x) == pytest.approx(renyi_entropy(x), abs=1e-6)
    assert 0 <= renyi_entropy(x) <= math.log(200)


def test_renyi_non_integer_order_uses_the_eigenvalues():
    x = clusters(3)
    assert renyi_entropy(x, alpha=2.5, sigma=0.05) == pytest.approx(math.log(3), abs=1e-3)
    with pytest.raises(ValueError, match="alpha"):
        renyi_entropy(x, alpha=1)


def test_cosine_change():
    x = gaussian(100, 8)
    assert cosine_change(x, x) == pytest.approx(0, abs=1e-6)
    assert cosine_change(x, -x) == pytest.approx(2, abs=1e-6)
    y = torch.stack([x[:, 1], -x[:, 0]], dim=1)  # each row turned by 90 degrees
    assert cosine_change(x[:, :2], y) == pytest.approx(1, abs=1e-6)
