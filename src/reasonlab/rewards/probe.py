"""Perturbations of (question, solution steps) and the measures of how a reward model reacts.

"Reward models identify consistency, not causality" (Xu et al. 2025): a reward model that barely
moves when the question is removed, but moves a lot when a number in a step is edited, is scoring
the solution's internal consistency, not whether it answers the question. Each perturbation is a
pure function of the question, the steps, a seeded random generator and a pool of other questions;
it returns the perturbed pair and the index of the first step it changed (None when it changed
only the question), so PRM scores can be compared at and after that step.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reasonlab.core.errors import ReasonlabError

_NUMBER = re.compile(r"-?\d+")


@dataclass(frozen=True)
class Perturbed:
    question: str
    steps: list[str]
    first_changed_step: int | None  # None: only the question changed
    applied: bool = True  # False: the input had nothing to perturb (e.g. one step to shuffle)


def _edit_number(text: str, rng: random.Random) -> tuple[str, bool]:
    """One number of `text` moved by a small nonzero amount (its sign kept when it can be)."""
    found = list(_NUMBER.finditer(text))
    if not found:
        return text, False
    m = rng.choice(found)
    value = int(m.group())
    delta = rng.choice([d for d in (-3, -2, -1, 1, 2, 3) if (value + d >= 0) == (value >= 0)] or [1])
    return text[: m.start()] + str(value + delta) + text[m.end() :], True


def question_removal(question, steps, rng, pool) -> Perturbed:
    return Perturbed("", list(steps), None)


def question_shuffle(question, steps, rng, pool) -> Perturbed:
    """The solution paired with another problem's question."""
    others = [q for q in pool if q != question]
    if not others:
        return Perturbed(question, list(steps), None, applied=False)
    return Perturbed(rng.choice(others), list(steps), None)


def question_number_edit(question, steps, rng, pool) -> Perturbed:
    edited, changed = _edit_number(question, rng)
    return Perturbed(edited, list(steps), None, applied=changed)


def step_number_edit(question, steps, rng, pool) -> Perturbed:
    """One number in one step (not the final answer step) moved: the step no longer follows."""
    candidates = [i for i, s in enumerate(steps[:-1]) if _NUMBER.search(s)] or [
        i for i, s in enumerate(steps) if _NUMBER.search(s)
    ]
    if not candidates:
        return Perturbed(question, list(steps), None, applied=False)
    i = rng.choice(candidates)
    out = list(steps)
    out[i], _ = _edit_number(out[i], rng)
    return Perturbed(question, out, i)


def chain_edit(question, steps, rng, pool) -> Perturbed:
    """Arith chains: one step's operand moved and every later step recomputed from it, answer lines
    included, so the solution stays self-consistent but answers another question. Applied only
    when every line from the edited step on is a step or an answer line (not, e.g., a check); text
    after a step's first line (a close marker) is kept."""
    from reasonlab.tasks.arith import apply_op, format_step, parse_step

    found = re.search(r"modulo (\d+)", question)
    modulus = int(found.group(1)) if found else None
    heads = [s.split("\n", 1) for s in steps]  # [first line, rest]
    parsed = [parse_step(h[0]) for h in heads]
    answer = re.compile(r"(So the answer is |Confirmed: |\\boxed\{)(-?\d+)")
    editable = [i for i, p in enumerate(parsed) if p is not None]
    tail_ok = [
        i
        for i in editable
        if all(parsed[k] is not None or answer.search(steps[k]) for k in range(i, len(steps)))
    ]
    if not tail_ok:
        return Perturbed(question, list(steps), None, applied=False)
    i = rng.choice(tail_ok)
    a, _, b, _, _ = parsed[i]
    b2 = b + rng.choice([d for d in (-3, -2, -1, 1, 2, 3) if b + d >= 1])
    out, value = list(steps[:i]), a
    for k in range(i, len(steps)):
        if parsed[k] is not None:
            _, op_k, b_k, _, _ = parsed[k]
            b_k = b2 if k == i else b_k
            rest = "\n" + heads[k][1] if len(heads[k]) > 1 else ""
            out.append(format_step(value, op_k, b_k, modulus) + rest)
            value = apply_op(value, op_k, b_k, modulus)[1]
        else:
            out.append(answer.sub(lambda m, v=value: m.group(1) + str(v), steps[k]))
    return Perturbed(question, out, i)


def _cut(steps) -> int:
    return max(1, len(steps) // 3)


def truncate_initial(question, steps, rng, pool) -> Perturbed:
    """The first third of the steps (at least one) removed."""
    if len(steps) < 2:
        return Perturbed(question, list(steps), None, applied=False)
    return Perturbed(question, list(steps[_cut(steps) :]), 0)


def truncate_last(question, steps, rng, pool) -> Perturbed:
    """The last third of the steps (at least one) removed."""
    if len(steps) < 2:
        return Perturbed(question, list(steps), None, applied=False)
    kept = list(steps[: len(steps) - _cut(steps)])
    return Perturbed(question, kept, len(kept) - 1)


def truncate_all(question, steps, rng, pool) -> Perturbed:
    """Every reasoning step removed: only the final step (the answer) left."""
    if len(steps) < 2:
        return Perturbed(question, list(steps), None, applied=False)
    return Perturbed(question, [steps[-1]], 0)


def step_shuffle(question, steps, rng, pool) -> Perturbed:
    """The reasoning steps (all but the final one) in another order."""
    body = list(steps[:-1])
    if len(set(body)) < 2:
        return Perturbed(question, list(steps), None, applied=False)
    order = list(range(len(body)))
    while order == sorted(order):
        rng.shuffle(order)
    shuffled = [body[k] for k in order] + [steps[-1]]
    first = next(i for i, (a, b) in enumerate(zip(shuffled, steps)) if a != b)
    return Perturbed(question, shuffled, first)


PERTURBATIONS: dict[str, Callable[..., Perturbed]] = {
    "question-removal": question_removal,
    "question-shuffle": question_shuffle,
    "question-number-edit": question_number_edit,
    "step-number-edit": step_number_edit,
    "chain-edit": chain_edit,
    "truncate-initial": truncate_initial,
    "truncate-last": truncate_last,
    "truncate-all": truncate_all,
    "step-shuffle": step_shuffle,
}


def perturbation(name: str) -> Callable[..., Perturbed]:
    if name not in PERTURBATIONS:
        raise ReasonlabError(f"unknown perturbation {name!r} (choose from {', '.join(PERTURBATIONS)})")
    return PERTURBATIONS[name]


def kendall_tau(a: Sequence[float], b: Sequence[float]) -> float:
    """Kendall's tau-b between two scorings of the same candidates (ties handled; NaN when either
    scoring is constant)."""
    n = len(a)
    concordant = discordant = ties_a = ties_b = 0
    for i in range(n):
        for j in range(i + 1, n):
            da, db = a[i] - a[j], b[i] - b[j]
            if da == 0 and db == 0:
                continue
            if da == 0:
                ties_a += 1
            elif db == 0:
                ties_b += 1
            elif (da > 0) == (db > 0):
                concordant += 1
            else:
                discordant += 1
    denominator = ((concordant + discordant + ties_a) * (concordant + discordant + ties_b)) ** 0.5
    return (concordant - discordant) / denominator if denominator else float("nan")


def change_summary(before: Sequence[float], after: Sequence[float], small: float = 0.05) -> dict[str, float]:
    """How scores moved: mean change, mean |change|, the share that rose, the share that moved by
    less than `small`, and the 10th / 50th / 90th percentiles of the change (its distribution)."""
    deltas = [y - x for x, y in zip(before, after)]
    n = max(1, len(deltas))
    ordered = sorted(deltas)

    def percentile(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

    return {
        "mean_change": sum(deltas) / n,
        "mean_abs_change": sum(abs(d) for d in deltas) / n,
        "share_up": sum(d > 0 for d in deltas) / n,
        "share_within_small": sum(abs(d) < small for d in deltas) / n,
        "change_p10": percentile(0.1),
        "change_median": percentile(0.5),
        "change_p90": percentile(0.9),
    }
