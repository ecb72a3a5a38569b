"""experiments/meta_ability.py's arithmetic: the oracle ensemble, paired differences and verdicts on
made-up results where the answer is known."""

import argparse
import json

import numpy as np
import pytest

from reasonlab.tasks import create_task
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
    argv += ["--prompts", "2", "--max-tokens", "16", "--eval-problems", "2", "--held-out-problems", "3"]
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
    rl_seconds = json.loads((tmp_path / "work" / "deduction-L1" / "summary.json").read_text())["seconds"]
    assert stages["specialist deduction level 1"] == rl_seconds  # the run's own training seconds
    assert (tmp_path / "docs" / "meta-ability.png").stat().st_size > 0
    report = (tmp_path / "docs" / "meta-ability.md").read_text()
    trained = [line.split(" | ")[0] for line in report.splitlines() if line.startswith("| domain-")]
    assert trained == ["| domain-base", "| domain-merged"] and "| deduction-L2 | 1 |" in report
    checks = [c["check"] for c in summary["preconditions"]]
    assert checks[:3] == [f"{a} specialist > base on {a}" for a in repro.ABILITIES] and len(checks) == 7
    assert "## What the claims rest on" in report and "## Reading the verdicts" in report
    seen = summary["evaluation_problems_seen_in_training"]
    assert seen["arith"]["problems"] == 3 and seen["deduction L1"]["problems"] == 2
    assert seen["arith"]["in_base_training"] == 0  # testbed:draft trained on arith of other seeds
    merged = json.loads((tmp_path / "work" / "merged-paper" / "merge_config.json").read_text())
    assert [round(w, 3) for w in merged["effective_weights"]] == [0.769, 0.154, 0.077]
    arithmetic = json.loads((tmp_path / "work" / "merged-task" / "merge_config.json").read_text())
    assert arithmetic["effective_weights"] == [1.0, 0.2, 0.1] and arithmetic["method"] == "task_arithmetic"
    base = json.loads((tmp_path / "work" / "eval" / "base.json").read_text())["sets"]
    assert len(base["arith"]["correct"]) == 3 and len(base["deduction L1"]["correct"]) == 2
    before = (tmp_path / "work" / "eval" / "base.json").stat().st_mtime_ns
    repro.main()  # a rerun reuses every stage
    assert (tmp_path / "work" / "eval" / "base.json").stat().st_mtime_ns == before
    assert json.loads((tmp_path / "docs" / "meta-ability.json").read_text())["stage_seconds"] == stages


def test_an_evaluation_is_reused_only_for_the_same_weights_and_settings(repro, tmp_path):
    import shutil

    from reasonlab.models.loading import resolve_model_path

    copy = tmp_path / "model"
    shutil.copytree(resolve_model_path("testbed:draft"), copy)
    key = repro.eval_key(str(copy), 1, 50, 640, 0.0)
    out = tmp_path / "base.json"
    out.write_text(json.dumps({"key": key, "sets": {"arith": {"correct": [[True]], "well_formed": None}}}))
    assert repro.cached(out, key)["arith"]["correct"] == [[True]]
    assert repro.cached(out, repro.eval_key(str(copy), 1, 50, 512, 0.0)) is None  # other settings
    (copy / "README.md").write_text("a rewritten card")  # not the weights: still the same model
    assert repro.cached(out, repro.eval_key(str(copy), 1, 50, 640, 0.0)) is not None
    weights = copy / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # retrained under the same name
    assert repro.cached(out, repro.eval_key(str(copy), 1, 50, 640, 0.0)) is None
    out.write_text(json.dumps({"arith": {"correct": [[True]], "well_formed": None}}))  # older format
    assert repro.cached(out, key) is None


def test_preconditions_compare_each_specialist_on_its_own_ability_and_the_oracle_with_its_best_member(repro):
    sets = list(repro.eval_sets())
    on = lambda right: _result({s: [[i in right] for i in range(10)] for s in sets})  # noqa: E731
    results = {"base": on(range(5)), repro.MERGED: on(range(5))}
    for a, right in zip(repro.ABILITIES, (range(6), range(9), [9])):
        results[f"{a} specialist"] = on(right)
    results["domain RL from base"] = on(range(2))
    results["domain RL from merged"] = on(range(8))
    results["oracle ensemble"] = repro.oracle([results[f"{a} specialist"] for a in repro.ABILITIES])
    checks = {c: (m, v) for c, m, v in repro.preconditions(results)}
    assert checks["induction specialist > base on induction"][0].startswith("+40.0 points")
    assert checks["induction specialist > base on induction"][1] == "holds"  # a check, not "agree"
    assert checks["abduction specialist > base on abduction"][0].startswith("-40.0 points")
    assert checks["domain RL from base > base (arith)"][0].startswith("-30.0 points")
    assert checks["domain RL from merged > merged (arith)"][0].startswith("+30.0 points")
    # the abduction specialist gets the one problem the induction specialist (the best) misses
    assert checks["oracle ensemble > its best member (arith)"][0].startswith("+10.0 points")
    assert checks["oracle ensemble > its best member (arith)"][0].endswith("best: induction specialist")
    (reference,) = [c for c in checks if c.startswith("reference")]
    assert checks[reference][0] == "+0.0 points (SE 0.0); best: base"  # base's right answers hold the others'


def test_a_merge_is_reused_for_the_same_models_and_made_again_when_one_was_retrained(repro, tmp_path):
    import shutil

    from reasonlab.models.loading import resolve_model_path

    models = [tmp_path / "a", tmp_path / "b"]
    for m in models:
        shutil.copytree(resolve_model_path("testbed:draft"), m)
    folder = tmp_path / "merged"
    inputs = repro.merge_inputs([str(m) for m in models], (1.0, 0.5), None)
    assert not repro.merged_from(folder, inputs)
    repro.merge([str(m) for m in models], (1.0, 0.5), folder, None, inputs)
    assert repro.merged_from(folder, inputs)  # the pipeline reuses it
    weights = models[0] / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # a specialist retrained
    inputs = repro.merge_inputs([str(m) for m in models], (1.0, 0.5), None)
    assert not repro.merged_from(folder, inputs)
    repro.merge([str(m) for m in models], (1.0, 0.5), folder, None, inputs)
    assert repro.merged_from(folder, inputs)


def _pipeline_results(repro, n: int, right: dict[str, range]) -> dict[str, dict]:
    """Made-up results on `n` problems per set: each model right on the problems `right` names."""
    on = lambda r: _result({s: [[i in r] for i in range(n)] for s in repro.eval_sets()})  # noqa: E731
    results = {name: on(r) for name, r in right.items()}
    results["oracle ensemble"] = repro.oracle([results[f"{a} specialist"] for a in repro.ABILITIES])
    return results


def test_the_readings_say_when_the_verdicts_do_not_test_the_mechanism(repro):
    # as measured on the testbed: no specialist learned, the specialists are near-copies of the base
    # (each off on its own few problems), and domain RL from the base lost ground
    results = _pipeline_results(
        repro,
        40,
        {
            "base": range(20),
            repro.MERGED: range(20),
            "deduction specialist": range(1, 21),
            "induction specialist": range(2, 22),
            "abduction specialist": range(20),
            "domain RL from base": range(8),
            "domain RL from merged": range(20),
        },
    )
    text = "\n".join(repro.readings(results))
    assert "No specialist gained its own ability" in text
    assert "does not show complementary abilities" in text  # 2 right above its best, as near-copies
    assert "comes from RL from the base losing ground" in text


def test_the_readings_credit_specialists_that_learned_and_differ_beyond_noise(repro):
    results = _pipeline_results(
        repro,
        40,
        {
            "base": range(10),
            repro.MERGED: range(25),
            "deduction specialist": range(0, 20),
            "induction specialist": range(20, 30),
            "abduction specialist": range(30, 40),
            "domain RL from base": range(10, 30),
            "domain RL from merged": range(35),
        },
    )
    lines = repro.readings(results)
    assert lines[0] == "Specialists that gained their own ability: deduction."  # others: 10 of 40, as base
    assert "errors differ beyond noise" in lines[1]  # the specialists' oracle gets all 40
    assert "losing ground" not in lines[2] and "+25.0 points" in lines[2]


def test_evaluation_problems_seen_in_training_are_counted_by_question(repro, tmp_path):
    args = argparse.Namespace(
        base="testbed:logic", steps=2, domain_steps=2, prompts=4, lr=5e-5, max_tokens=64
    )
    args.eval_problems, args.held_out_problems = 20, 20
    seen = repro.seen_in_training(args)
    # released-shape induction at level 1 is a space of about 300 puzzles that testbed:logic's
    # 1,371 draws per set nearly cover; deduction and arith are large spaces
    assert seen["induction L1"]["in_base_training"] >= 15
    assert seen["induction L1"]["distinct"] < 20
    assert seen["deduction L1"] == {"problems": 20, "distinct": 20, "in_base_training": 0, "in_rl": 0}
    assert seen["arith"]["in_base_training"] == 0
    # RL draws seed 7 (the first problems of seed 0 would all be counted), from its first problem on
    first = create_task("induction", **{**repro.OPTIONS["induction"], "level": 1, "seed": 7}).problem(0)
    assert first.question in repro.rl_questions(args, "induction")
    assert repro.base_training_questions(str(tmp_path)) is None  # a folder: what it trained on is unknown
    draft = repro.base_training_questions("testbed:draft")  # arith of the training seeds, none of 0's
    assert len(draft) > 1000 and not draft & {p.question for p in create_task("arith").problems(200)}
