"""experiments/rm_probe.py's rules: a verdict per perturbation over seeds, and a finished run reused
only on the same settings and the same weights."""

import json

import pytest

from tests.experiment_scripts import load_experiment


@pytest.fixture(scope="module")
def repro():
    return load_experiment("rm_probe")


def _seed(**changes) -> dict:
    return {name: {"mean_abs_change": value} for name, value in changes.items()}


def test_question_removal_agrees_when_tiny_or_smallest(repro):
    tiny = [_seed(**{"question-removal": 0.01, "step-shuffle": 0.2})] * 3
    assert repro.verdict("question-removal", tiny).startswith("**agree**")
    smallest = [_seed(**{"question-removal": 0.10, "step-shuffle": 0.2})] * 3
    assert repro.verdict("question-removal", smallest).startswith("**agree**")
    # one seed where it is neither tiny nor the smallest: the verdict must hold in every seed
    mixed = [*smallest[:2], _seed(**{"question-removal": 0.10, "step-shuffle": 0.08})]
    assert repro.verdict("question-removal", mixed).startswith("**disagree**")


def test_other_perturbations_are_measured_against_question_removal(repro):
    seeds = [_seed(**{"question-removal": 0.05, "step-shuffle": 0.12, "question-shuffle": 0.09})] * 3
    assert repro.verdict("step-shuffle", seeds) == "**agree**: 2.4x / 2.4x / 2.4x"  # expected large
    assert repro.verdict("question-shuffle", seeds).startswith("**agree**")  # expected small: 1.8x
    seeds[2] = _seed(**{"question-removal": 0.05, "step-shuffle": 0.09, "question-shuffle": 0.11})
    assert repro.verdict("step-shuffle", seeds).startswith("**disagree**")
    assert repro.verdict("question-shuffle", seeds).startswith("**disagree**")


def test_a_finished_run_is_reused_only_on_the_same_settings_and_weights(repro, tmp_path):
    from reasonlab.core.fingerprints import input_fingerprints

    weights = tmp_path / "prm"
    weights.mkdir()
    (weights / "model.safetensors").write_bytes(b"first")
    run = tmp_path / "seed0"
    run.mkdir()
    config = {"rewards": "prm,verifier", "seed": 0}
    inputs = input_fingerprints({"prm": weights})
    (run / "config.json").write_text(json.dumps({**config, "inputs": inputs}))
    (run / "summary.json").write_text(json.dumps({"rewards": {"prm": {}}}))
    assert repro.finished(run, config, {"prm": weights}) == {"rewards": {"prm": {}}}
    assert repro.finished(run, {**config, "seed": 1}, {"prm": weights}) is None
    (weights / "model.safetensors").write_bytes(b"retrained")
    assert repro.finished(run, config, {"prm": weights}) is None
    assert repro.finished(tmp_path / "never-run", config, {"prm": weights}) is None
