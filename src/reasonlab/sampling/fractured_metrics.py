"""Aggregations of fractured sampling results, as the paper's official code defines them.

Inputs are per-problem arrays: `scores[n, H, m]` (bool: answer j at cut h of trajectory i is right)
and `keys[n][H][m]` (vote keys of the extracted answers: equivalent answers share one). Cut index
H-1 is the full trace; answer 0 at the full cut is the trajectory's own output.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence

import numpy as np

from reasonlab.core.errors import ReasonlabError
from reasonlab.core.passk import pass_at_k


def passk_n(scores: np.ndarray, k: int) -> float:
    """Along n: unbiased pass@k over the trajectories, judged by their full-cut first answer."""
    return pass_at_k(scores.shape[0], int(scores[:, -1, 0].sum()), k)


def passk_m(scores: np.ndarray, k: int) -> float:
    """Along m: unbiased pass@k over the m answers of the full cut, averaged over trajectories."""
    m = scores.shape[2]
    return float(np.mean([pass_at_k(m, int(row.sum()), k) for row in scores[:, -1, :]]))


def h_indices(H: int, k: int) -> list[int]:
    """The k cut indices the H axis uses: np.linspace(H-1, H//k - 1, k), always with the full trace."""
    if not 1 <= k <= H:
        raise ReasonlabError(f"k must be in [1, H={H}], got {k}")
    return [int(i) for i in np.linspace(H - 1, H // k - 1, k)]


def passk_h(scores: np.ndarray, k: int) -> float:
    """Along H: a trajectory counts if the first answer at any of k spread-out cuts is right."""
    idx = h_indices(scores.shape[1], k)
    return float(np.mean(scores[:, idx, 0].any(axis=1)))


def passk_joint(scores: np.ndarray, k: int) -> float:
    """All axes: a trajectory counts if any of its H x m answers is right; pass@k over n."""
    return pass_at_k(scores.shape[0], int(scores.reshape(scores.shape[0], -1).any(axis=1).sum()), k)


def depth_weights(H: int, scheme: str = "uniform", last: int | None = None) -> np.ndarray:
    """Vote weight of each cut: uniform, linear (w_t = 2t / (H(H+1))), optionally only the last cuts."""
    if scheme == "uniform":
        w = np.ones(H)
    elif scheme == "linear":
        t = np.arange(1, H + 1)
        w = 2 * t / (H * (H + 1))
    else:
        raise ReasonlabError(f"unknown depth weighting {scheme!r} (uniform or linear)")
    if last is not None:
        if not 1 <= last <= H:
            raise ReasonlabError(f"last must be in [1, H={H}], got {last}")
        w = np.where(np.arange(H) >= H - last, w, 0.0)
    return w


def weighted_vote(
    keys: Sequence[Sequence[Sequence[Hashable | None]]],
    weights: np.ndarray,
    duplicate: np.ndarray | None = None,
) -> Hashable | None:
    """Answer with the largest total weight over all n x H x m answers (missing answers abstain).

    `keys` should group equivalent answers (Task.vote_keys). Cut indices marked in `duplicate[n, H]`
    repeat a deeper cut's answers and abstain, so a shared cut votes once. Ties go to the answer
    that reached the top total first in reading order."""
    totals: dict[Hashable, float] = defaultdict(float)
    order: list[Hashable] = []
    for i, trajectory in enumerate(keys):
        for h, answers in enumerate(trajectory):
            if weights[h] == 0 or (duplicate is not None and duplicate[i][h]):
                continue
            for a in answers:
                if a is None:
                    continue
                if a not in totals:
                    order.append(a)
                totals[a] += float(weights[h])
    if not totals:
        return None
    best = max(totals.values())
    return next(a for a in order if np.isclose(totals[a], best))


def best_of_n(
    candidates: Sequence[tuple[Hashable | None, str]], scorer: Callable[[str], float]
) -> Hashable | None:
    """The answer whose full text the scorer (e.g. a reward model) rates highest; first wins ties."""
    best, best_score = None, -np.inf
    for answer, text in candidates:
        s = scorer(text)
        if s > best_score:
            best, best_score = answer, s
    return best


def probe_indices(H: int, first: int, interval: int) -> list[int]:
    """Cut indices early stopping probes: first, first+interval, ..., and always the full trace."""
    if first < 0 or interval < 1:
        raise ReasonlabError(f"need first >= 0 and interval >= 1, got first={first}, interval={interval}")
    probes = list(range(min(first, H - 1), H, interval))
    return probes if probes[-1] == H - 1 else probes + [H - 1]


def early_stop(
    keys_first: Sequence[Sequence[Hashable | None]],
    first: int,
    interval: int,
    duplicate: np.ndarray | None = None,
) -> list[int]:
    """Per trajectory, the cut index where probing stops: the first probe whose answer repeats the
    previous probe's (else the full trace). Every probe up to and including it was paid for.
    Probes on a cut that merely repeats a deeper one (`duplicate[n, H]`) are skipped: their
    answers would repeat trivially."""
    stops = []
    for i, answers in enumerate(keys_first):
        probes = probe_indices(len(answers), first, interval)
        if duplicate is not None:
            probes = [h for h in probes if not duplicate[i][h]]
        stop = probes[-1]
        for prev, cur in zip(probes, probes[1:]):
            if answers[cur] is not None and answers[cur] == answers[prev]:
                stop = cur
                break
        stops.append(stop)
    return stops


def token_budget(n: int, m: int, H: int, c_think: float, c_sol: float) -> float:
    """The paper's cost model B(n, m, H) = n (C_think + m H C_sol); truncated prefixes are free."""
    return n * (c_think + m * H * c_sol)


def loglinear_fit(budgets: Sequence[float], values: Sequence[float]) -> dict[str, float]:
    """Least-squares fit values = slope * ln(budget) + intercept, with R^2."""
    x, y = np.log(np.asarray(budgets, float)), np.asarray(values, float)
    if len(x) < 2 or np.ptp(x) == 0:
        return {"slope": float("nan"), "intercept": float("nan"), "r2": float("nan")}
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    total = np.sum((y - y.mean()) ** 2)
    # R^2 is undefined for a flat curve (nothing to explain): NaN, not a perfect 1.0.
    r2 = 1.0 - float(np.sum(residual**2) / total) if total > 0 else float("nan")
    return {"slope": float(slope), "intercept": float(intercept), "r2": r2}


def format_fit(fit: dict[str, float], digits: int = 4) -> tuple[str, str]:
    """(slope, R^2) as printed: no "-0.0000" for a flat curve, and "flat" where R^2 is undefined."""
    slope = f"{round(fit['slope'], digits) + 0.0:.{digits}f}"
    r2 = "flat" if not np.isfinite(fit["r2"]) else f"{fit['r2']:.{min(digits, 3)}f}"
    return slope, r2
