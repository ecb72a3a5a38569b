"""The per-tensor formulas against numbers worked out by hand from mergekit's definitions
(merge_methods/linear.py, generalized_task_arithmetic.py, sparsify.py): linear normalisation, TIES
trimming and its weighted sign election, DARE's rescaling of a fixed mask, task arithmetic's lambda."""

import torch

from reasonlab.merging.combine import Recipe, drop_generator, linear, merge_tensor
from reasonlab.merging.methods import METHODS
from reasonlab.merging.sparsify import drop_mask, rescaled, sparsify, trim_mask

T = torch.tensor


def recipe(method: str, weights, densities=None, **kw) -> Recipe:
    m = METHODS[method]
    densities = tuple(densities or [1.0] * len(weights))
    kw = {"normalize": m.normalize, "rescale": m.rescale} | kw
    return Recipe(m, tuple(weights), densities, **kw)


def test_linear_is_the_weighted_mean_by_default_and_the_weighted_sum_without_normalize():
    a, b = T([1.0, 2.0]), T([3.0, 4.0])
    assert torch.equal(linear([a, b], [1.0, 3.0], normalize=True), T([2.5, 3.5]))  # (1+9)/4, (2+12)/4
    assert torch.equal(linear([a, b], [1.0, 3.0], normalize=False), T([10.0, 14.0]))
    assert METHODS["linear"].normalize  # mergekit's default


def test_the_meta_ability_weights_normalise_to_the_papers_shares():
    x = T([13.0])
    got = [
        linear([x if i == j else torch.zeros(1) for j in range(3)], [1.0, 0.2, 0.1], True) for i in range(3)
    ]
    assert [round(g.item() / 13, 3) for g in got] == [0.769, 0.154, 0.077]


def test_trim_keeps_int_density_times_numel_largest_magnitudes_and_at_least_one():
    delta = T([0.5, -0.2, 0.1, -1.0, 0.3])
    assert trim_mask(delta, 0.5).tolist() == [1, 0, 0, 1, 0]  # int(2.5) = 2: |-1.0| and |0.5|
    assert trim_mask(delta, 0.7).tolist() == [1, 0, 0, 1, 1]  # int(3.5) = 3
    assert torch.equal(sparsify(delta, 1.0, "magnitude", "l1"), delta)  # density 1: untouched, no rescale
    assert trim_mask(delta, 0.1).tolist() == [0, 0, 0, 1, 0]  # int(0.5) = 0, but one entry is kept
    assert trim_mask(torch.zeros(0, 4), 0.5).shape == (0, 4)  # empty: nothing to keep (mergekit 0.1.5)


def test_ties_elects_signs_by_summed_weighted_mass_and_averages_the_agreeing_entries():
    base = torch.zeros(4)
    a, b = T([0.5, -0.2, 0.1, -1.0]), T([-0.4, -0.3, 0.05, 2.0])
    # density 0.5 keeps two entries each: a -> [0.5, 0, 0, -1.0], b -> [-0.4, 0, 0, 2.0].
    # Equal weights: sums [0.1, 0, 0, 1.0] elect [+, +, +, +] (a zero sum elects +); a agrees at 0,
    # b at 3; trimmed zeros agree with nothing, so entries 1 and 2 divide 0 by 1.
    got = merge_tensor("w", recipe("ties", [1.0, 1.0], [0.5, 0.5]), [a, b], base)
    assert torch.allclose(got, T([0.5, 0.0, 0.0, 2.0]))
    # Weight 3 on b: weighted [0.5, 0, 0, -1.0] and [-1.2, 0, 0, 6.0] sum to [-0.7, 0, 0, 5.0], so
    # entry 0 elects -, where only b agrees: (-1.2) / 3 = -0.4. The election weighs mass, not counts.
    got = merge_tensor("w", recipe("ties", [1.0, 3.0], [0.5, 0.5]), [a, b], base)
    assert torch.allclose(got, T([-0.4, 0.0, 0.0, 2.0]))
    # Without normalize the agreeing weighted entries are summed: -1.2 and 6.0.
    got = merge_tensor("w", recipe("ties", [1.0, 3.0], [0.5, 0.5], normalize=False), [a, b], base)
    assert torch.allclose(got, T([-1.2, 0.0, 0.0, 6.0]))


def test_ties_density_is_per_model_and_task_vectors_are_taken_from_the_base():
    base = T([1.0, 1.0, 1.0, 1.0])
    a, b = base + T([0.5, -0.2, 0.1, -1.0]), base + T([-0.4, -0.3, 0.05, 2.0])
    # a keeps 3 (int(0.75*4)): [0.5, -0.2, 0, -1.0]; b keeps 1: [0, 0, 0, 2.0]. Sums [0.5, -0.2, 0, 1.0]
    # elect [+, -, +, +]: a agrees at 0 and 1, b at 3.
    got = merge_tensor("w", recipe("ties", [1.0, 1.0], [0.75, 0.25]), [a, b], base)
    assert torch.allclose(got, base + T([0.5, -0.2, 0.0, 2.0]))


def test_a_tie_in_the_sign_election_elects_plus():
    got = merge_tensor("w", recipe("ties", [1.0, 1.0]), [T([1.0]), T([-1.0])], torch.zeros(1))
    assert got.tolist() == [1.0]


def test_dare_rescales_a_fixed_mask_by_l1_norm_as_mergekit_or_by_1_over_density_as_the_paper():
    delta, mask = T([1.0, -2.0, 3.0, -4.0]), T([1.0, 0.0, 1.0, 0.0])
    assert rescaled(delta, mask, "none", 0.5).tolist() == [1.0, 0.0, 3.0, 0.0]
    assert rescaled(delta, mask, "density", 0.5).tolist() == [2.0, 0.0, 6.0, 0.0]
    assert rescaled(delta, mask, "l1", 0.5).tolist() == [2.5, 0.0, 7.5, 0.0]  # |delta|_1 10 / kept 4
    assert rescaled(delta, torch.zeros(4), "l1", 0.5).tolist() == [0.0] * 4  # nothing kept: no division
    assert METHODS["dare_ties"].rescale == "l1" and METHODS["ties"].rescale == "none"


def test_dare_drops_each_entry_with_probability_1_minus_density_reproducibly():
    delta = torch.ones(20_000)
    g = drop_generator(0, "w", 0, torch.device("cpu"))
    mask = drop_mask(delta, 0.3, g)
    assert set(mask.unique().tolist()) == {0.0, 1.0}
    assert abs(mask.mean().item() - 0.3) < 0.015
    again = drop_mask(delta, 0.3, drop_generator(0, "w", 0, torch.device("cpu")))
    assert torch.equal(mask, again)
    for other in (
        drop_generator(1, "w", 0, "cpu"),
        drop_generator(0, "v", 0, "cpu"),
        drop_generator(0, "w", 1, "cpu"),
    ):
        assert not torch.equal(mask, drop_mask(delta, 0.3, other))


def test_dare_linear_keeps_or_drops_each_task_vector_entry_and_rescales_the_rest():
    base = torch.zeros(1000)
    theta = torch.linspace(-1, 1, 1000)
    got = merge_tensor("w", recipe("dare_linear", [1.0], [0.5], rescale="density"), [theta], base)
    kept = got != 0
    assert torch.allclose(got[kept], theta[kept] * 2)  # 1 / density
    got = merge_tensor("w", recipe("dare_linear", [1.0], [0.5]), [theta], base)  # l1 (default)
    assert torch.allclose(got.abs().sum(), theta.abs().sum())


def test_task_arithmetic_adds_lambda_times_the_weighted_task_vectors_to_the_base():
    base, a, b = T([1.0, 2.0]), T([2.0, 2.0]), T([1.0, 5.0])  # task vectors [1, 0] and [0, 3]
    r = recipe("task_arithmetic", [0.5, 2.0], lambda_=0.5)
    assert torch.allclose(merge_tensor("w", r, [a, b], base), base + 0.5 * T([0.5, 6.0]))
    r = recipe("task_arithmetic", [0.5, 2.0], normalize=True)
    assert torch.allclose(merge_tensor("w", r, [a, b], base), base + T([0.5, 6.0]) / 2.5)
    r = recipe("task_arithmetic", [1.0, -1.0], normalize=True)  # weights summing to 0 divide by 1
    assert torch.allclose(merge_tensor("w", r, [a, b], base), base + T([1.0, -3.0]))
    assert not METHODS["task_arithmetic"].normalize


def test_low_precision_inputs_are_merged_in_float32():
    a = T([1.0, 2.0], dtype=torch.bfloat16)
    out = linear([a, a], [1.0, 2.0], normalize=True)
    assert out.dtype == torch.float32 and out.tolist() == [1.0, 2.0]
