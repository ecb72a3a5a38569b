"""experiments/rsd.py's arithmetic: the goal's verdict under both FLOPs counts, best-of-N read off
its curve at RSD's FLOPs, and where RSD's FLOPs go, on made-up summaries whose answers are known."""

import pytest

from tests.experiment_scripts import load_experiment


@pytest.fixture(scope="module")
def repro():
    return load_experiment("rsd")


def _method(accuracy, flops, generated=None, seconds=1.0, by_model=None):
    return {
        "seconds_per_problem": seconds,
        "accuracy": accuracy,
        "problems": 100,
        "flops_per_problem": flops,
        "flops_vs_target": flops / 100.0,
        "generated_flops_vs_target": (generated if generated is not None else flops) / 80.0,
        "seconds_vs_target": seconds,
        "by_model": by_model or {},
    }


def _by(draft, prm, target, target_generated):
    """Each model's FLOPs; its seconds are a hundredth of them."""
    return {
        "draft": {"flops": draft, "generated_flops": draft, "seconds": draft / 100},
        "prm": {"flops": prm, "generated_flops": 0.0, "seconds": prm / 100},
        "target": {"flops": target, "generated_flops": target_generated, "seconds": target / 100},
    }


def test_the_goal_needs_a_third_of_the_flops_at_no_less_accuracy(repro):
    target = _method(0.80, 100.0, generated=80.0)
    rsd = {
        "rsd delta=0.5": _method(0.70, 30.0, generated=20.0),  # cheap but 2 SE (0.08) below
        "rsd delta=0.7": _method(0.78, 50.0, generated=24.0),  # within 2 SE, not cheap enough
        "rsd delta=0.9": _method(0.81, 90.0, generated=60.0),
    }
    line = repro.headline(rsd, target, "flops_vs_target", "prefill counted")
    assert ": disagree.**" in line and "rsd delta=0.7: accuracy 0.780 at 0.50x" in line
    # generated tokens only: delta 0.7 is cheap enough (0.30x) but below the target's accuracy
    line = repro.headline(rsd, target, "generated_flops_vs_target", "generated only")
    assert ": disagree.**" in line and "at 0.30x" in line
    rsd["rsd delta=0.8"] = _method(0.80, 40.0, generated=26.0)  # 0.325x at equal accuracy
    line = repro.headline(rsd, target, "generated_flops_vs_target", "generated only")
    assert ": agree.**" in line and "Deltas that meet the goal: rsd delta=0.8" in line
    far = {"rsd delta=0.5": _method(0.50, 30.0)}
    assert "No delta comes within" in repro.headline(far, target, "flops_vs_target", "x")


def test_best_of_n_is_read_on_log_flops_and_not_beyond_its_range(repro):
    points = [(10.0, 0.4), (1000.0, 0.6)]
    assert repro.interpolate_log(points, 100.0) == pytest.approx(0.5)  # halfway on a log axis
    assert repro.interpolate_log(points, 5.0) is None and repro.interpolate_log(points, 2000.0) is None


def test_where_the_flops_go_is_each_model_over_the_target_alone(repro):
    target = _method(0.8, 100.0)
    rsd = {"rsd delta=0.5": _method(0.7, 110.0, by_model=_by(20.0, 30.0, 60.0, 25.0))}
    line = repro.where_flops_go(rsd, target)
    assert "delta=0.5: draft 0.20, PRM 0.30, target 0.60 (of which prefill 0.35)" in line
    assert "Drafting and scoring alone cost 0.50x-0.50x the target's FLOPs" in line


def test_verdicts_compare_rsd_with_best_of_n_at_equal_flops(repro):
    methods = {
        "target only": _method(0.8, 100.0, seconds=1.0, by_model=_by(0, 0, 100.0, 90.0)),
        "best-of-1": _method(0.4, 10.0),
        "best-of-16": _method(0.6, 1000.0),
        "rsd delta=0.7": _method(0.7, 100.0, seconds=5.0, by_model=_by(20.0, 20.0, 60.0, 30.0)),
    }
    lines = repro.verdicts(methods)
    bon = next(line for line in lines if "best-of-N at equal FLOPs" in line)
    assert ": agree.**" in bon and "rsd delta=0.7 (0.700 vs 0.500)" in bon
    wall = next(line for line in lines if "FLOPs or wall time?" in line)
    assert "Wall time is the worse ratio for 1 of 1 deltas" in wall
    assert "delta=0.7: draft 0.20, prm 0.20, target 0.60" in wall  # seconds over the target alone's 1.0
