"""Our merges against mergekit's own (run where mergekit is installed: it is not a dependency).

mergekit 0.1.5 installs beside torch 2.13 and transformers 5, but brings datasets, pandas, pyarrow,
peft and scipy and is LGPL-3.0; reasonlab reimplements the formulas and checks them here. DARE's
drops come from different random streams (mergekit: the global torch RNG; here: one generator per
tensor and model), so DARE is compared at density 1 only."""

import pytest
import torch

from reasonlab.jobs.merge import MergeConfig, run_merge
from tests.merging.conftest import weights

mergekit = pytest.importorskip("mergekit")

CASES = {
    "linear": ({"weights": [1.0, 0.2, 0.1]}, {}),
    "linear-raw": ({"weights": [0.5, -0.25, 1.0], "normalize": False}, {"normalize": False}),
    "task_arithmetic": ({"weights": [1.0, 0.5, 0.3], "lambda_": 0.7}, {"lambda": 0.7}),
    "ties": ({"weights": [1.0, 0.6, 0.3], "density": [0.5, 0.3, 0.8]}, {}),
    "ties-raw": ({"weights": [1.0, -0.6, 0.3], "density": [0.2], "normalize": False}, {"normalize": False}),
    "dare_ties": ({"weights": [1.0, 0.6, 0.3]}, {}),
}


def _mergekit_merge(method, models, base, weights_, densities, parameters, out):
    from mergekit.config import MergeConfiguration
    from mergekit.merge import run_merge as mergekit_run
    from mergekit.options import MergeOptions

    entries = []
    for i, m in enumerate(models):
        params = {"weight": weights_[i]}
        if densities:
            params["density"] = densities[i] if len(densities) > 1 else densities[0]
        entries.append({"model": str(m), "parameters": params})
    config = {"merge_method": method, "models": entries, "parameters": parameters, "dtype": "float32"}
    if base is not None:
        config["base_model"] = str(base)
        if method != "linear" and str(base) not in {e["model"] for e in entries}:
            entries.append({"model": str(base)})
    mergekit_run(MergeConfiguration.model_validate(config), str(out), MergeOptions(quiet=True))


@pytest.mark.parametrize("case", list(CASES))
def test_same_tensors_as_mergekit(tmp_path, folders, case):
    ours, theirs = CASES[case]
    method = case.split("-")[0]
    models = [folders[n] for n in "abc"]
    base = None if method == "linear" else folders["base"]
    cfg = MergeConfig(
        models=[str(m) for m in models], method=method, base=str(base) if base else None, **ours
    )
    run_merge(cfg, tmp_path / "ours", progress=False)
    densities = ours.get("density") if method != "linear" and method != "task_arithmetic" else None
    _mergekit_merge(method, models, base, cfg.resolved_weights(), densities, theirs, tmp_path / "theirs")
    a, b = weights(tmp_path / "ours"), weights(tmp_path / "theirs")
    assert set(a) == set(b)
    for name in a:
        assert torch.allclose(a[name], b[name], atol=1e-6, rtol=1e-5), (name, (a[name] - b[name]).abs().max())


@pytest.mark.parametrize("method", ["task_arithmetic", "dare_linear"])
def test_a_base_listed_in_models_is_skipped_as_by_mergekit(tmp_path, folders, method):
    """mergekit (given the base as a model too, with a weight) merges the non-base models only; so
    do we. normalize on, where the base's weight would otherwise join the divisor."""
    models = [folders["base"], folders["a"], folders["b"]]
    cfg = MergeConfig(
        models=[str(m) for m in models],
        method=method,
        base=str(folders["base"]),
        weights=[2.0, 1.0, 0.5],
        normalize=True,
    )
    run_merge(cfg, tmp_path / "ours", progress=False)
    densities = [1.0] if method == "dare_linear" else None
    _mergekit_merge(
        method,
        models,
        folders["base"],
        cfg.resolved_weights(),
        densities,
        {"normalize": True},
        tmp_path / "theirs",
    )
    a, b = weights(tmp_path / "ours"), weights(tmp_path / "theirs")
    assert set(a) == set(b)
    for name in a:
        assert torch.allclose(a[name], b[name], atol=1e-6, rtol=1e-5), (name, (a[name] - b[name]).abs().max())
