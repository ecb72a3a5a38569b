"""How good a PRM is: step-level AUROC, and ProcessBench's F1 on the first wrong step."""

from __future__ import annotations

from collections.abc import Sequence


def auroc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Area under the ROC curve of scores for the positive (True) labels: the chance that a random
    right step scores above a random wrong one, ties counting half. NaN without both classes."""
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    if not pos or not neg:
        return float("nan")
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):  # average ranks over ties
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    rank_sum = sum(r for r, y in zip(ranks, labels) if y)
    return (rank_sum - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def first_below(scores: Sequence[float], threshold: float) -> int | None:
    return next((i for i, s in enumerate(scores) if s < threshold), None)


def processbench_f1(
    step_scores: Sequence[Sequence[float]], step_labels: Sequence[Sequence[bool]], threshold: float = 0.5
) -> dict[str, float]:
    """ProcessBench's measure: the first step scored below `threshold` is the predicted first error
    (none if no step is). Accuracy on solutions with an error (the exact step found), on solutions
    without one (none predicted), and their harmonic mean."""
    hits = {True: [], False: []}
    for scores, labels in zip(step_scores, step_labels):
        truth = next((i for i, ok in enumerate(labels) if not ok), None)
        hits[truth is not None].append(first_below(scores, threshold) == truth)
    acc_err = sum(hits[True]) / len(hits[True]) if hits[True] else float("nan")
    acc_ok = sum(hits[False]) / len(hits[False]) if hits[False] else float("nan")
    f1 = 2 * acc_err * acc_ok / (acc_err + acc_ok) if acc_err + acc_ok > 0 else 0.0
    return {"erroneous_accuracy": acc_err, "correct_accuracy": acc_ok, "f1": f1}
