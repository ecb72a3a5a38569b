"""Summaries of fractured sampling from hand-built results: votes, early-stopping cost, warnings."""

import numpy as np

from reasonlab.jobs.fractured import early_stopping, summarize
from reasonlab.sampling.fractured import FracturedConfig, ProblemResult
from reasonlab.tasks import create_task


def result(keys, scores, cut_tokens, answer_tokens, thinking, closed=True, preds=None) -> ProblemResult:
    n, H, m = scores.shape
    return ProblemResult(
        id="p",
        answer="1",
        scores=scores,
        preds=preds or keys,
        keys=keys,
        cut_tokens=np.array(cut_tokens),
        answer_tokens=np.array(answer_tokens),
        thinking_tokens=np.array(thinking),
        trajectory_tokens=np.array(thinking) + np.array(answer_tokens)[:, -1, 0],
        closed=np.full(n, closed),
        truncated=np.full(n, not closed),
        duplicate=np.zeros((n, H), dtype=bool),
    )


def test_early_stopping_charges_the_full_cut_probe_that_first_and_interval_skip():
    # H=4, probes at cuts 0 and 2 (interval 2), then the full cut 3, which the grid skips.
    keys = [[["1"], ["9"], ["2"], ["1"]]]
    scores = np.array([[[True], [False], [False], [True]]])
    r = result(keys, scores, [[10, 20, 30, 40]], [[[5], [5], [5], [7]]], [40])
    cfg = FracturedConfig(n=1, H=4, m=1, early_first=0, early_interval=2)
    e = early_stopping([r], cfg)
    # No repeat: stops at the full trace after probing 0, 2 and 3: 40 thinking + 5 + 5 + 7 answer tokens.
    assert e["tokens_early"] == 40 + 5 + 5 + 7 and e["tokens_full"] == 40 + 7
    assert e["tokens_saved"] < 0  # probing cost more than it saved here, and the summary says so


def test_votes_pool_equivalent_answers():
    task = create_task("arith")
    problem = task.problem(0)
    wrong = str((int(problem.answer) + 1) % 100)
    raw = [problem.answer, "0" + problem.answer, wrong, wrong, " " + problem.answer]
    keys = task.vote_keys(problem, raw)
    assert keys[0] == keys[1] == keys[4] and keys[2] == keys[3] == wrong
    n = len(raw)
    scores = np.array([[[task.check(problem, a)]] for a in raw])
    r = result([[[k]] for k in keys], scores, [[3]] * n, [[[2]]] * n, [3] * n, preds=[[[a]] for a in raw])
    r.answer = problem.answer
    summary = summarize([r], FracturedConfig(n=n, H=1, m=1), num_params=1)
    # Raw strings would split the right answer 1/1/1 against the wrong one's 2.
    assert summary["majority_vote"]["baseline (H=1, m=1)"] == 1.0
