import math

import numpy as np
import pytest

from reasonlab.recsys.metrics import ranking_metrics


def test_metrics_match_a_hand_computed_ranking():
    # user 0: hits at ranks 2 and 4 of 5 held-out items {7, 9, 1, 2, 3}; user 1: no hit.
    ranked = np.array([[5, 7, 6, 9], [0, 4, 8, 6]])
    truth = [{7, 9, 1, 2, 3}, {2}]
    m = ranking_metrics(ranked, truth, ks=(2, 4))
    assert m["hit@2"] == pytest.approx(0.5)
    assert m["recall@4"] == pytest.approx((2 / 5 + 0) / 2)
    assert m["mrr@4"] == pytest.approx((1 / 2 + 0) / 2)
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = sum(1 / math.log2(r + 1) for r in range(1, 5))
    assert m["ndcg@4"] == pytest.approx(dcg / idcg / 2)
    # at K=2 only the rank-2 hit counts, against an ideal of two hits
    assert m["ndcg@2"] == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)) / 2)


def test_a_perfect_ranking_scores_one():
    m = ranking_metrics(np.array([[3, 1, 0]]), [{1, 3}], ks=(2,))
    assert m["ndcg@2"] == pytest.approx(1.0) and m["recall@2"] == 1.0 and m["mrr@2"] == 1.0
