"""experiments/meta_ability.py's arithmetic: the oracle ensemble, paired differences and verdicts on
made-up results where the answer is known."""

import argparse
import json

import numpy as np
import pytest

from tests.experiment_scripts import load_experiment


@pytest.fixture(scope="module")
def repro():
    return load_experiment("meta_ability")


def _result(rows: dict[str, list[list[bool]]]) -> dict:
    return {s: {"correct": c, "well_formed": None} for s, c in rows.items()}


def test_the_oracle_counts_a_sample_right_when_any_models_sample_of_that_index_is(repro):
    a = _result({"x": [[True, False], [False, False]]})
    b = _result({"x": [[False, False], [False, True]]})
    assert repro.oracle([a, b])["x"]["correct"] == [[True, False], [False, True]]


def test_paired_differences_weight_sets_equally_and_the_verdict_needs_two_standard_errors(repro):
    rng = np.random.default_rng(0)
    base = rng.random((200, 2)) < 0.3
    better = base | (rng.random((200, 2)) < 0.3)  # never worse on any sample
    a = _result({"x": base.tolist(), "y": base.tolist()})
    b = _result({"x": better.tolist(), "y": base.tolist()})
    d, se = repro.paired(a, b, ["x", "y"])
    assert d == pytest.approx((better.mean() - base.mean()) / 2) and se > 0
    assert repro.verdict(d, se) == "agree" and repro.verdict(-d, se) == "disagree"
    assert repro.verdict(se, se).startswith("not resolved")
    assert repro.paired(a, a, ["x"]) == (0.0, 0.0) and repro.verdict(0.0, 0.0).startswith("not resolved")


def test_each_ability_is_evaluated_at_both_trained_levels_and_arith_is_held_out(repro):
    sets = repro.eval_sets()
    assert list(sets) == [
        "deduction L1",
        "deduction L2",
        "induction L1",
        "induction L2",
        "abduction L1",
        "abduction L2",
        "arith",
    ]
    assert sets["deduction L2"] == ("deduction", {"notation": "ascii", "instructions": False, "level": 2})
    assert repro.PAPER_WEIGHTS == (1.0, 0.2, 0.1)


def test_specialists_get_the_official_scripts_uneven_budgets_and_sampling(repro):
    args = argparse.Namespace(steps=20, prompts=8, lr=2e-5, max_tokens=64)
    cfgs = {a: repro.rl_config(args, "testbed:draft", a, repro.OPTIONS[a]) for a in repro.ABILITIES}
    # ~560 / 448 / 56 official steps at 32 / 16 / 32 prompts
    assert [(c.steps, c.prompts_per_step) for c in cfgs.values()] == [(20, 8), (16, 4), (2, 8)]
    assert all(c.algo == "reinforce++" and c.reward_norm == "token" for c in cfgs.values())
    assert all(c.temperature == 0.7 and c.entropy_coef == 0.001 for c in cfgs.values())
    assert cfgs["induction"].task_options["source"] == "released"  # the data the paper trained on
    domain = repro.rl_config(args, "m", "arith", {}, steps=5, **repro.DOMAIN_RL)
    assert (domain.algo, domain.steps, domain.prompts_per_step, domain.temperature) == ("grpo", 5, 8, 1.0)


def test_the_whole_pipeline_runs_small_resumes_and_reports_every_claim(repro, tmp_path, monkeypatch):
    # testbed:draft cannot read the logic tasks (accuracy 0): this checks the stages chain, not results.
    argv = ["meta_ability.py", "--base", "testbed:draft", "--steps", "1", "--domain-steps", "1"]
    argv += ["--prompts", "2", "--max-tokens", "16", "--eval-problems", "2", "--eval-n", "1"]
    argv += ["--work", str(tmp_path / "work"), "--docs", str(tmp_path / "docs")]
    monkeypatch.setattr("sys.argv", argv)
    repro.main()
    summary = json.loads((tmp_path / "docs" / "meta-ability.json").read_text())
    claims = summary["claims"]
    assert len(claims) == 12 and all(c["verdict"] for c in claims)
    # the paper's claims are judged on the held-out task; the ability sets only as diagnostics
    assert all(c["claim"].endswith("(arith)") for c in claims[:9])
    assert all(c["claim"].startswith("in-distribution") for c in claims[9:])
    assert set(summary["sweep"]) == set(repro.SWEEP) | {"task arithmetic 1.0/0.2/0.1"}
    assert "oracle ensemble" in summary["accuracy"]
    stages = summary["stage_seconds"]
    assert "specialist abduction level 2" in stages and "domain RL from merged" in stages
    assert (tmp_path / "docs" / "meta-ability.png").stat().st_size > 0
    report = (tmp_path / "docs" / "meta-ability.md").read_text()
    trained = [line.split(" | ")[0] for line in report.splitlines() if line.startswith("| domain-")]
    assert trained == ["| domain-base", "| domain-merged"] and "| deduction-L2 | 1 |" in report
    merged = json.loads((tmp_path / "work" / "merged-paper" / "merge_config.json").read_text())
    assert [round(w, 3) for w in merged["effective_weights"]] == [0.769, 0.154, 0.077]
    arithmetic = json.loads((tmp_path / "work" / "merged-task" / "merge_config.json").read_text())
    assert arithmetic["effective_weights"] == [1.0, 0.2, 0.1] and arithmetic["method"] == "task_arithmetic"
    before = (tmp_path / "work" / "eval" / "base.json").stat().st_mtime_ns
    repro.main()  # a rerun reuses every stage
    assert (tmp_path / "work" / "eval" / "base.json").stat().st_mtime_ns == before
    assert json.loads((tmp_path / "docs" / "meta-ability.json").read_text())["stage_seconds"] == stages
