"""Training traces with real verification and revision (issue 15), for the next testbed models.

Published analyses of R1-style models (docs/notes/testbed_calibration.md) find that intermediate
answers change along the trace: a candidate is reached part way, then a check confirms it, catches a
real mistake, misses one, or raises a false alarm and talks the model out of a right answer. The
traces of `traces.py` only ever catch injected mistakes, so the shipped models settle their answer by
mid-trace and every later cut answers the same. Here every stage can fail at its own rate:

    37+45=82                          first pass, one step per block; a step can be wrong
    82*3=256 -> 56
    56-18=38
    So the answer is 38.              candidate answer
    Check: 45+37=82 ok                each step recomputed by another route: + and * commuted,
    Check: 3*82=246, not 256.         - inverted (c+b=a); a check can itself be wrong (a false
    Wait, 82*3=246 -> 46              alarm on a right step, or a miss that "confirms" a wrong one)
    46-18=28                          revision: redo the step (right or not) and the rest after it
    So the answer is 28.
    </think>\\n\\nThe answer is \\boxed{28}.

First-pass mistakes get no loss (the model's own slips play that part), but the checks do, misses
and false alarms included, and so does what follows a revision: the model learns to check, and to
check imperfectly at the rates below. The final answer is always the one the trace reached, right
or wrong, so thinking and answer stay consistent. Rates grow with the number of steps (harder
problems go wrong more often, as in the sources), and longer problems give longer traces.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from reasonlab.tasks.arith import apply_op, format_step
from reasonlab.tasks.base import Problem
from reasonlab.testbed.traces import Piece

_SLIPS = (-20, -10, -2, -1, 1, 2, 10, 20)


@dataclass(frozen=True)
class RevisionTraceConfig:
    """Rates of the trace generator. Per-trace figures at 4 steps are in the comments; the first
    pass and the checks fail per step, so longer chains fail more often."""

    p_step_slip: float = 0.048  # first-pass slip per step (18% of 4-step traces have one)
    p_skip_check: float = 0.15  # traces that stop at the first candidate
    p_false_alarm: float = 0.015  # a check of a right step computes a wrong value (6% of traces)
    p_miss: float = 0.6  # a check of a wrong step repeats its wrong value and passes it
    p_fix: float = 0.7  # redoing a step caught wrong gives the right value
    p_false_alarm_kept: float = 0.8  # after a false alarm, the redo keeps the check's wrong value
    p_early_close: float = 0.3  # traces closed at a uniformly random thinking token

    def pieces(self, problem: Problem, rng: random.Random) -> list[Piece]:
        return revision_pieces(problem, rng, self)


def _slip(raw: int, modulus: int | None, rng: random.Random) -> int:
    """A wrong raw result whose reduced value differs too (so the slip changes the answer)."""
    while True:
        wrong = raw + rng.choice(_SLIPS)
        if (wrong % modulus if modulus else wrong) != (raw % modulus if modulus else raw):
            return wrong


def _line(a: int, op: str, b: int, raw: int, modulus: int | None) -> str:
    """A step as written, right or not: operands, raw result and its reduction when it differs."""
    value = raw % modulus if modulus else raw
    return f"{a}{op}{b}={raw}" + (f" -> {value}" if value != raw else "")


def _check(a: int, op: str, b: int, raw: int) -> tuple[str, int, int]:
    """The other route to a step: (expression, what it should equal, the claimed number it tests)."""
    if op == "+":
        return f"{b}+{a}", a + b, raw
    if op == "*":
        return f"{b}*{a}", a * b, raw
    return f"{raw}+{b}", raw + b, a  # a - b = raw  <=>  raw + b = a


def _run(start: int, ops, modulus, rng: random.Random, p_slip: float) -> list[tuple[int, str, int, int]]:
    """One pass from `start`: (a, op, b, raw) per step, each raw slipping with probability p_slip."""
    steps, prev = [], start
    for op, b in ops:
        raw = apply_op(prev, op, b, modulus)[0]
        if rng.random() < p_slip:
            raw = _slip(raw, modulus, rng)
        steps.append((prev, op, b, raw))
        prev = raw % modulus if modulus else raw
    return steps


def _answer(steps, modulus) -> str:
    raw = steps[-1][3]
    return str(raw % modulus if modulus else raw)


def _finish(start_value: int, ops, modulus) -> str:
    """The answer that computing the remaining `ops` exactly from `start_value` gives."""
    value = start_value
    for op, b in ops:
        value = apply_op(value, op, b, modulus)[1]
    return str(value)


def revision_pieces(problem: Problem, rng: random.Random, cfg: RevisionTraceConfig) -> list[Piece]:
    """The thinking of one trace as pieces, each with the answer the reasoning leads to once it is
    written (what an early close should answer)."""
    m = problem.metadata
    ops, modulus = [tuple(o) for o in m["ops"]], m["modulus"]
    steps = _run(m["start"], ops, modulus, rng, cfg.p_step_slip)
    pieces = []
    for i, (a, op, b, raw) in enumerate(steps):
        right = raw == apply_op(a, op, b, modulus)[0]
        value = raw % modulus if modulus else raw
        pieces.append(
            Piece(_line(a, op, b, raw, modulus), loss=right, belief=_finish(value, ops[i + 1 :], modulus))
        )
    candidate = _answer(steps, modulus)
    pieces.append(Piece(f"So the answer is {candidate}.", belief=candidate))
    if rng.random() < cfg.p_skip_check:
        return pieces
    for i, (a, op, b, raw) in enumerate(steps):
        expr, exact, claimed = _check(a, op, b, raw)
        step_right = raw == apply_op(a, op, b, modulus)[0]
        if step_right:
            computed = exact if rng.random() >= cfg.p_false_alarm else _slip(exact, None, rng)
        else:
            computed = claimed if rng.random() < cfg.p_miss else exact
        if computed == claimed:
            pieces.append(Piece(f"Check: {expr}={computed} ok", belief=candidate))
            continue
        pieces.append(Piece(f"Check: {expr}={computed}, not {claimed}.", belief=candidate))
        true_raw = apply_op(a, op, b, modulus)[0]
        if step_right:  # a false alarm: the redo mostly follows the check's wrong number
            if rng.random() >= cfg.p_false_alarm_kept:
                pieces.append(
                    Piece(f"Wait, {format_step(a, op, b, modulus)}. It was right.", belief=candidate)
                )
                continue
            redo = computed if op in "+*" else _slip(true_raw, modulus, rng)
        elif rng.random() < cfg.p_fix:  # a caught slip, redone right...
            redo = true_raw
        else:  # ...or wrong again, differently
            redo = raw
            while redo == raw:
                redo = _slip(true_raw, modulus, rng)
        value = redo % modulus if modulus else redo
        rest = _run(value, ops[i + 1 :], modulus, rng, 0.0)
        new = str(value) if not rest else _answer(rest, modulus)
        pieces.append(Piece(f"Wait, {_line(a, op, b, redo, modulus)}", belief=new))
        for a2, op2, b2, _ in rest:
            pieces.append(Piece(format_step(a2, op2, b2, modulus), belief=new))
        pieces.append(Piece(f"So the answer is {new}.", belief=new))
        return pieces
    pieces.append(Piece(f"Confirmed: {candidate}.", belief=candidate))
    return pieces


def outcome_shares(
    problems: list[Problem], cfg: RevisionTraceConfig, seed: int = 0, cuts=(0.25, 0.5, 0.75)
) -> dict[str, float]:
    """What the generator itself produces (not yet a trained model): the shares of traces going
    wrong->right, right->right, right->wrong and wrong->wrong from first candidate to final answer
    (traces without a check count as staying), the share whose belief at 50% of the thinking
    (in characters) differs from the final answer, and the share with some cut right while the
    final answer is wrong."""
    rng = random.Random(seed)
    counts = dict.fromkeys(["wrong->right", "right->right", "right->wrong", "wrong->wrong"], 0)
    differs_at_half = cut_right_final_wrong = 0
    for problem in problems:
        pieces = revision_pieces(problem, rng, cfg)
        first = next(p.belief for p in pieces if p.text.startswith("So the answer is"))
        final = pieces[-1].belief
        right_first, right_final = first == problem.answer, final == problem.answer
        counts[f"{'right' if right_first else 'wrong'}->{'right' if right_final else 'wrong'}"] += 1
        ends, total = [], 0
        for p in pieces:
            total += len(p.text) + 2
            ends.append((total, p.belief))
        differs_at_half += _belief_at(ends, 0.5 * total) != final
        cut_right_final_wrong += not right_final and any(
            _belief_at(ends, f * total) == problem.answer for f in cuts
        )
    n = len(problems)
    return {
        **{k: v / n for k, v in counts.items()},
        "belief_at_50%_differs_from_final": differs_at_half / n,
        "some_cut_right_final_wrong": cut_right_final_wrong / n,
        "final_accuracy": (counts["wrong->right"] + counts["right->right"]) / n,
    }


def _belief_at(ends: list[tuple[int, str | None]], position: float) -> str | None:
    """The belief of the last piece fully written by `position` (None before the first)."""
    written = [belief for end, belief in ends if end <= position]
    return written[-1] if written else None
