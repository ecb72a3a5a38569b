"""experiments/pruning.py's arithmetic: accuracy retained per order (random as the seeds' mean) and
the verdicts, on made-up results where the answer is known."""

import pytest

from tests.experiment_scripts import load_experiment


@pytest.fixture(scope="module")
def repro():
    return load_experiment("pruning")


def _data(accuracy: dict[str, float]) -> dict:
    """8 layers, droppable 2..6; attention sets scored by `accuracy`, layer sets by layer count."""
    orders = {
        "entropy-knn": [2, 3, 4, 5, 6],
        "entropy-bucket": [2, 3, 4, 5, 6],
        "entropy-renyi": [6, 5, 4, 3, 2],
        "cosine": [6, 5, 4, 3, 2],
        "nll": [2, 6, 3, 5, 4],
        "random-0": [3, 2, 4, 5, 6],
        "random-1": [6, 2, 3, 4, 5],
    }
    sets = {}
    for order in orders.values():
        for k in range(len(order) + 1):
            name = ",".join(map(str, sorted(order[:k]))) or "none"
            sets[name] = {"accuracy": accuracy.get(name, 0.8 - 0.1 * k), "heldout_perplexity": 2.0 + k}
    layer_sets = {n: {"accuracy": 0.8 - 0.15 * n.count(",") - 0.15, "heldout_perplexity": 3.0} for n in sets}
    layer_sets["none"] = sets["none"] = {"accuracy": 0.8, "heldout_perplexity": 2.0}
    layer_sets["6"] = {"accuracy": 0.7, "heldout_perplexity": 3.0}  # cosine's first layer: better at light
    layer_sets["2,3"] = {"accuracy": 0.7, "heldout_perplexity": 3.0}  # entropy's first two: better at heavy
    return {
        "model": "m",
        "layers": 8,
        "protected": [0, 1, 7],
        "problems": 10,
        "calibration_texts": 4,
        "baseline": sets["none"],
        "orders": {"attention": orders, "layer": orders},
        "sets": {"attention": sets, "layer": layer_sets},
    }


def test_retained_is_accuracy_over_the_baseline_and_random_the_mean_of_the_seeds(repro):
    data = _data({"3": 0.8, "6": 0.4, "2,3": 0.8})
    curves = repro.retained_curves(data)["attention"]
    assert curves["entropy-knn"][:3] == pytest.approx([1.0, 0.7 / 0.8, 1.0])
    assert curves["random"][1] == pytest.approx((1.0 + 0.5) / 2)  # sets {3} and {6}
    assert curves["random-min"][1] == pytest.approx(0.5) and curves["random-max"][1] == pytest.approx(1.0)
    assert len(curves["cosine"]) == 6


def test_verdicts_follow_the_fixed_rules(repro):
    # k = round(0.375 * 8) = 3: entropy-knn drops {2,3,4} and keeps 100%, cosine drops {4,5,6} and keeps 50%
    data = _data({"2,3,4": 0.8, "4,5,6": 0.4})
    lines = repro.verdicts(data, repro.retained_curves(data))
    text = "\n".join(lines)
    assert "Here k = 3 of 8" in text
    assert "- entropy-knn: retains 100.0%: **agree**" in text
    assert "- entropy-renyi: retains 50.0%: **disagree**" in text  # same order as cosine: not ahead, < 95%
    # layers: light k = 1 (cosine's {6} 87.5% beats entropy's {2} 81.25%), heavy k = 2 ({2,3} 87.5% > {5,6})
    assert "- entropy-knn: 81.2% at light, 87.5% at heavy: **agree**" in text
    assert "- entropy-renyi: 87.5% at light, 62.5% at heavy: **disagree**" in text


def test_a_baseline_that_solves_nothing_stops_with_a_message(repro):
    data = _data({})
    data["baseline"] = {"accuracy": 0.0, "heldout_perplexity": 2.0}
    with pytest.raises(SystemExit, match="solves none of the problems"):
        repro.retained_curves(data)


def test_a_model_that_no_single_drop_leaves_working_is_called_too_shallow(repro):
    data = _data({})
    assert not any("Too few layers" in line for line in repro.verdicts(data, repro.retained_curves(data)))
    for block in ("attention", "layer"):
        for name, scores in data["sets"][block].items():
            if name != "none":
                scores["accuracy"] = 0.03  # 3.75% retained after any drop
    lines = repro.verdicts(data, repro.retained_curves(data))
    shallow = [line for line in lines if "Too few layers" in line]
    assert len(shallow) == 2 and "(attention)" in shallow[0] and "keeps 3.8% of the accuracy" in shallow[0]
    verdicts = [line for line in lines if line.startswith("- entropy")]
    assert len(verdicts) == 6 and all(line.endswith("**inconclusive**") for line in verdicts)


def test_max_drop_cuts_every_curve_and_the_verdicts_read_within_it(repro):
    data = _data({"2,3,4": 0.8, "4,5,6": 0.4})
    data["max_drop"] = 3
    for block in ("attention", "layer"):  # sets beyond 3 drops were never evaluated
        data["sets"][block] = {n: r for n, r in data["sets"][block].items() if n.count(",") < 3}
    curves = repro.retained_curves(data)
    assert {len(ys) for ys in curves["attention"].values()} == {4}
    assert "- entropy-knn: retains 100.0%: **agree**" in "\n".join(repro.verdicts(data, curves))
