"""Aggregation formulas of fractured sampling against hand-computed cases."""

import numpy as np
import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.sampling.fractured_metrics import (
    best_of_n,
    depth_weights,
    early_stop,
    h_indices,
    loglinear_fit,
    passk_h,
    passk_joint,
    passk_m,
    passk_n,
    probe_indices,
    token_budget,
    weighted_vote,
)


def make_scores():
    # n=2 trajectories, H=4 cuts, m=2 answers
    s = np.zeros((2, 4, 2), dtype=bool)
    s[0, 3, 0] = True  # trajectory 0 right at the full cut (first answer)
    s[0, 1, 1] = True  # ...and one answer at cut 1
    s[1, 2, 0] = True  # trajectory 1 wrong at the full cut, right at cut 2
    s[1, 3, 1] = True  # ...and its second full-cut answer is right
    return s


def test_pass_at_k_along_each_axis_by_hand():
    s = make_scores()
    assert passk_n(s, 1) == pytest.approx(0.5)  # 1 of 2 trajectories right at the full cut
    assert passk_n(s, 2) == pytest.approx(1.0)
    assert passk_m(s, 1) == pytest.approx(0.5)  # (1/2 + 1/2) / 2
    assert passk_m(s, 2) == pytest.approx(1.0)
    assert h_indices(4, 2) == [3, 1]
    assert passk_h(s, 1) == pytest.approx(0.5)  # only the full cut: trajectory 0
    assert passk_h(s, 2) == pytest.approx(0.5)  # cuts 3 and 1, first answers: traj 0 yes, traj 1 no
    assert passk_h(s, 4) == pytest.approx(1.0)  # all cuts: traj 1 right at cut 2
    assert passk_joint(s, 1) == pytest.approx(1.0)


def test_h_indices_always_include_the_full_trace():
    assert h_indices(8, 1) == [7]
    assert h_indices(8, 3) == [7, 4, 1]
    assert h_indices(8, 8) == list(range(7, -1, -1))
    with pytest.raises(ReasonlabError):
        h_indices(4, 5)


def test_depth_weights():
    assert depth_weights(4).tolist() == [1, 1, 1, 1]
    assert depth_weights(4, "linear") == pytest.approx([0.1, 0.2, 0.3, 0.4])
    assert depth_weights(4, "uniform", last=2).tolist() == [0, 0, 1, 1]
    with pytest.raises(ReasonlabError):
        depth_weights(4, "cubic")


def test_weighted_vote_counts_and_weights():
    preds = [[["1", "1"], ["2", None], ["2", "2"], ["3", "3"]]]
    assert weighted_vote(preds, depth_weights(4)) == "2"  # 2 + 3 + 2 votes
    # linear weights 0.1 0.2 0.3 0.4: "1" 0.2, "2" 0.2 + 0.6 = 0.8, "3" 0.8 -> tie, "2" came first
    assert weighted_vote(preds, depth_weights(4, "linear")) == "2"
    assert weighted_vote(preds, depth_weights(4, last=1)) == "3"
    assert weighted_vote([[[None]]], np.ones(1)) is None


def test_a_cut_shared_by_several_indices_votes_once():
    keys = [[["1"], ["1"], ["1"], ["2"]], [["2"], ["3"], ["4"], ["2"]]]
    # Trajectory 0's cut indices 0, 1 and 2 fell on one cut: it votes once, so "2" wins 3 to 1.
    duplicate = np.array([[True, True, False, False], [False, False, False, False]])
    assert weighted_vote(keys, depth_weights(4)) == "1"  # a 3-3 tie, "1" first, if counted thrice
    assert weighted_vote(keys, depth_weights(4), duplicate) == "2"


def test_best_of_n_uses_the_scorer():
    cands = [("4", "short"), ("5", "a much longer text"), ("6", "mid text")]
    assert best_of_n(cands, scorer=len) == "5"
    assert best_of_n(cands, scorer=lambda t: -len(t)) == "4"


def test_early_stop_stops_when_the_probed_answer_repeats():
    first_answers = [
        ["1", "2", "2", "2", "5"],  # probes 1,2 -> repeat at 2
        ["1", "2", "3", "4", "5"],  # never repeats -> full trace
        [None, None, "7", "7", "7"],  # None never counts as a repeat
    ]
    assert early_stop(first_answers, first=1, interval=1) == [2, 4, 3]
    assert early_stop(first_answers, first=0, interval=2) == [4, 4, 4]  # probes 0,2,4
    with pytest.raises(ReasonlabError):
        early_stop(first_answers, first=0, interval=0)


def test_probes_always_end_at_the_full_trace_and_skip_shared_cuts():
    assert probe_indices(5, 0, 3) == [0, 3, 4]
    assert probe_indices(5, 7, 1) == [4]
    # Cut 1 repeats cut 2 (a collapsed cut): probing it would repeat trivially.
    first_answers = [["1", "2", "2", "5", "5"]]
    assert early_stop(first_answers, 1, 1) == [2]
    assert early_stop(first_answers, 1, 1, np.array([[False, True, False, False, False]])) == [4]


def test_cost_model_and_fit():
    assert token_budget(n=2, m=3, H=4, c_think=100, c_sol=10) == 2 * (100 + 3 * 4 * 10)
    b = [10, 100, 1000]
    fit = loglinear_fit(b, [0.1 + 0.05 * np.log(x) for x in b])
    assert (
        fit["slope"] == pytest.approx(0.05)
        and fit["intercept"] == pytest.approx(0.1)
        and fit["r2"] == pytest.approx(1)
    )
