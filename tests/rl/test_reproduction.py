"""experiments/rl.py's arithmetic: differences over seeds, the claims' verdicts and the report, on
made-up results where the answer is known."""

import argparse

import pytest

from tests.experiment_scripts import load_experiment


@pytest.fixture(scope="module")
def repro():
    return load_experiment("rl")


def _history(accuracy: list[float], kl: float, entropy: list[float]) -> list[dict]:
    return [
        {"accuracy": a, "kl": kl, "entropy": e, "response_length": 100.0} for a, e in zip(accuracy, entropy)
    ]


def test_a_difference_counts_when_its_t_interval_over_paired_seeds_excludes_zero(repro):
    d, se, sig = repro.differs([0.50, 0.52, 0.48], [0.70, 0.72, 0.68])
    assert d == pytest.approx(0.20) and se == pytest.approx(0.0) and sig
    # seeds far apart, each 0.10 better: paired by seed, the difference is real
    assert repro.differs([0.30, 0.80, 0.40], [0.40, 0.90, 0.50])[2]
    d, se, sig = repro.differs([0.40, 0.60, 0.50], [0.50, 0.55, 0.60])  # +0.10, -0.05, +0.10
    assert d == pytest.approx(0.05) and se == pytest.approx(0.05) and not sig
    # 2.6 standard errors: past 2 SE, but short of t(2 df) = 4.30
    d, se, sig = repro.differs([0.5, 0.5, 0.5], [0.60, 0.52, 0.56])
    assert d / se == pytest.approx(2.598, abs=1e-3) and not sig
    assert repro.t_critical(3) == pytest.approx(4.303, abs=1e-3)
    assert not repro.differs([0.5], [0.9])[2]  # one seed: no standard error, nothing is real
    assert not repro.differs([0.5, 0.6], [0.5, 0.6])[2]


def test_claims_made_of_parts(repro):
    assert repro.verdict_of_parts([True, True]) == "agree"
    assert repro.verdict_of_parts([False, None]) == "disagree"
    assert repro.verdict_of_parts([None, None]) == "inconclusive"
    assert repro.verdict_of_parts([True, False, None]) == "partly (1 of 3 parts hold)"


def _algorithms():
    """Seeds of every arm: RAFT++ = GRPO, Reinforce-Rej at GRPO's accuracy and a lower KL, Reinforce
    drifting and worse, remove-all-wrong better than Reinforce, remove-all-correct worse and drifting."""
    spread = [-0.01, 0.0, 0.01]
    level = {
        "grpo": 0.60,
        "raft": 0.50,
        "raftpp": 0.60,
        "reinforce-rej": 0.60,
        "reinforce": 0.40,
        "remove-all-wrong": 0.58,
        "remove-all-correct": 0.38,
    }
    kl = {"grpo": 0.10, "raft": 0.05, "raftpp": 0.05, "reinforce-rej": 0.05, "reinforce": 0.50}
    kl |= {"remove-all-wrong": 0.06, "remove-all-correct": 0.55}
    acc = {n: [v + s for s in spread] for n, v in level.items()}
    hist = {}
    for name in level:
        runs = []
        for s in spread:
            if name == "raftpp":  # leads early, falls behind late, entropy collapses
                curve, entropy = [0.7] * 10 + [0.5] * 10 + [0.4] * 10, [1.0] * 10 + [0.1] * 20
            elif name == "grpo":
                curve, entropy = [0.4] * 10 + [0.5] * 10 + [0.7] * 10, [1.0] * 25 + [0.8] * 5
            else:
                curve, entropy = [0.5] * 30, [1.0] * 30
            runs.append(_history([c + s for c in curve], kl[name] + s / 100, [e + s for e in entropy]))
        hist[name] = runs
    return acc, hist


def test_algorithm_claims_agree_where_the_made_up_runs_show_the_papers_shape(repro):
    acc, hist = _algorithms()
    rows = repro.algorithm_claims(acc, hist, start=0.30)
    verdicts = [v for _, v, _ in rows]
    assert len(rows) == 7 and verdicts == ["agree"] * 7, rows


def test_algorithm_claims_disagree_when_the_shape_is_reversed(repro):
    acc, hist = _algorithms()
    acc["raft"], acc["raftpp"] = acc["raftpp"], [a - 0.2 for a in acc["raft"]]  # RAFT++ well below
    rows = dict((c[:20], v) for c, v, _ in repro.algorithm_claims(acc, hist, start=0.30))
    assert rows["RAFT++ is close to G"] == "disagree"
    assert rows["RAFT++ beats RAFT (5"] == "disagree"


def test_no_learning_leaves_the_closeness_claim_inconclusive(repro):
    acc, hist = _algorithms()
    rows = repro.algorithm_claims(acc, hist, start=0.65)  # GRPO ends below its start
    assert rows[0][1] == "inconclusive" and "not a real gain" in rows[0][2]


def _eval(accuracy: dict[int, float], tokens: float) -> dict:
    return {str(t): {"accuracy": a, "tokens": tokens} for t, a in accuracy.items()}


def test_elastic_claims_compare_under_each_budget(repro):
    budgets = [64, 128, -1]
    plain = [_eval({64: 0.10 + s, 128: 0.30 + s, -1: 0.80 + s}, 300 + 100 * s) for s in (-0.01, 0, 0.01)]
    budgeted = [_eval({64: 0.40 + s, 128: 0.60 + s, -1: 0.78 + s}, 200 + 100 * s) for s in (-0.01, 0, 0.01)]
    start = _eval({64: 0.05, 128: 0.20, -1: 0.70}, 310)
    elastic = {"start": [start], "GRPO": plain, "GRPO, rollouts t,s = 96,48": budgeted}
    rows = repro.elastic_claims(elastic, budgets)
    assert [v for _, v, _ in rows] == ["higher", "higher", "agree", "agree"]
    assert "t=64: +30.0 points" in rows[2][2] and "-33%" in rows[3][2]


def test_the_report_has_every_figure_filled_in(repro):
    acc, hist = _algorithms()
    summaries = {
        n: [
            {
                "final": {"kl": 0.1, "entropy": 1.0, "response_length": 90.0, "filtered": 0.2},
                "seconds": 60.0,
                "seconds_per_step": {"rollout": 1.0},
            }
        ]
        * 3
        for n in acc
    }
    budgets = [64, -1]
    e = _eval({64: 0.1, -1: 0.8}, 300)
    elastic = {"start": [e], "GRPO": [e, e, e], "GRPO, rollouts t,s = 96,48": [e, e, e]}
    args = argparse.Namespace(
        steps=60,
        seeds=3,
        eval_problems=64,
        eval_n=4,
        model="testbed:draft",
        prompts=8,
        lr=2e-5,
        budget="96,48",
        eval_budgets="64,-1",
    )
    text = repro.report(args, acc, hist, summaries, elastic, budgets, e, 3600.0, 3000.0)
    assert "{" not in text.replace("{}", "")  # no placeholder left unformatted
    assert "--budget 96,48 --eval-budgets 64,-1" in text and "| t=64 | unlimited |" in text
    assert "| grpo | 60.0 ± 0.6 | 59.0, 60.0, 61.0 |" in text
