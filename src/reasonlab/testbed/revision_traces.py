"""Training traces with real verification and revision (issue 15), for the testbed models.

Published analyses of R1-style models (docs/notes/testbed_calibration.md) find that intermediate
answers change along the trace: a candidate is reached part way, then a check confirms it, catches a
real mistake, misses one, or raises a false alarm and talks the model out of a right answer. The
traces of `traces.py` recompute every step the same way, so a model trained on them repeats its own
mistakes in the "check", settles its answer by mid-trace, and every later cut answers the same.
Here each step is checked by another route, tens and ones apart, beside the step as first written:

    37+45=82                          first pass, one step per block; a step can be wrong
    82*3=256 -> 56
    56-18=38
    So the answer is 38.              candidate answer
    Check 37+45: 30+40 + 7+5 = 70+12 = 82 vs 37+45=82: 82-82 = 0, ok
    Check 82*3: 80*3 + 2*3 = 240+6, 24+0=24 tens = 246 vs 82*3=256 -> 56: 246-256 = -10, wrong.
    Wait, 82*3=246 -> 46              trusted: the step redone with its value...
    46-18=28                          ...and the rest recomputed from there
    So the answer is 28.
    </think>\n\nThe answer is \boxed{28}.

A check first computed the step in another order (3*82 for 82*3); a trained model then wrote the
claimed number in 315 of 331 checks of its wrong steps: where it cannot compute a product it
slipped on, the number in its context is its best guess. Split into easy parts, the check is a
computation the model can do. The check line then restates the first-pass step and subtracts the
claimed number from the check's, so that the verdict reads off a difference (check_line). A
product's parts are added on the tens, where the carry the step missed is out in the open.

First-pass slips get no loss, so the model does not learn to make them; they are there so that
checks have real mistakes to catch. Checks are always right in the data and always trained: when
a check sometimes repeated the claimed number instead (a "miss" at a chosen rate), the trained model
learned to repeat it every time and never caught anything. So the model's misses and false alarms
are its own arithmetic errors in the check, and a false alarm it trusts turns a right answer wrong.
The final answer is always the one the trace reached, so thinking and answer stay consistent.
Longer chains (harder problems) give longer traces with more to go wrong.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from reasonlab.tasks.arith import apply_op, format_step
from reasonlab.tasks.base import Problem
from reasonlab.testbed.traces import CANDIDATE, Piece, candidate_line, solution_text

_SLIPS = (-20, -10, -2, -1, 1, 2, 10, 20)


@dataclass(frozen=True)
class RevisionTraceConfig:
    """Rates of the trace generator. Only the first pass slips here: a check is always computed
    right in the data, so the model learns to compute it rather than copy the step it checks (with
    checks that sometimes repeated the claimed value, a trained model repeated it every time and
    never caught a mistake). Its misses and false alarms are then its own arithmetic errors."""

    # First-pass slip per step, untrained (68% of 4-step traces have one). rev8's 0.4 left the
    # model's own first pass wrong in 15% of steps, and checks false-alarmed on 10% of right ones.
    p_step_slip: float = 0.25
    p_skip_check: float = 0.15  # traces that stop at the first candidate
    p_early_close: float = 0.3  # traces closed at a uniformly random thinking token

    def pieces(self, problem: Problem, rng: random.Random, task=None) -> list[Piece]:
        return revision_pieces(problem, rng, self)

    def solution_text(self, answer: str) -> str:
        return solution_text(answer)

    def describe(self) -> str:
        """The traces in a sentence or three, for the model cards."""
        return (
            "a first pass of steps, a candidate answer, then a check of every step, recomputed in easy "
            "parts, tens and ones apart, beside the step as first written "
            '("Check 82*3: 80*3 + 2*3 = 240+6, 24+0=24 tens = 246 vs 82*3=256 -> 56: 246-256 = -10, '
            'wrong."). A check '
            'that disagrees is trusted ("Wait, 82*3=246 -> 46"): the step is redone with its value and '
            "the rest recomputed. "
            f"{self.p_step_slip:.0%} of first-pass steps slip (no loss on the slip), so checks have real "
            "mistakes to catch; checks are always right in the data, so the model's misses and false "
            f"alarms are its own arithmetic errors. {self.p_skip_check:.0%} of traces stop at the first "
            "candidate."
        )


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


def check_expression(a: int, op: str, b: int) -> tuple[str, int]:
    """The step recomputed by another route, in small parts, and its exact value. Tens and ones
    apart: 37+45 -> 30+40 + 7+5 = 70+12; 82-37 -> 80-30 + 2-7 = 50-5; 82*3 -> 80*3 + 2*3 = 240+6.
    Each part is easy, so a model that slips on the step in one go can get it right here. Parts
    that are 0 op 0 (or 0*b) are left out; a step with one part left is simply recomputed. The
    value is the step's raw result, so a disagreement also says what the step should have been."""
    sign = -1 if a < 0 else 1
    tens, ones = sign * (abs(a) // 10 * 10), sign * (abs(a) % 10)
    if op == "*":
        parts = [(x, b) for x in (tens, ones) if x != 0]
    else:
        parts = [(x, y) for x, y in ((tens, b // 10 * 10), (ones, b % 10)) if (x, y) != (0, 0)]
    value = apply_op(a, op, b, None)[0]
    if len(parts) < 2:
        return f"{a}{op}{b}", value
    (x1, y1), (x2, y2) = parts
    left, right = apply_op(x1, op, y1, None)[0], apply_op(x2, op, y2, None)[0]
    return f"{x1}{op}{y1} + {x2}{op}{y2} = {left}{right:+d}", value


def check_line(a: int, op: str, b: int, raw: int, modulus: int | None) -> tuple[str, int]:
    """A check of the step as the first pass wrote it, and the check's value: the operands, the
    route, the first-pass line restated beside the check's value, their difference, then the
    verdict: "Check 82*3: 80*3 + 2*3 = 240+6, 24+0=24 tens = 246 vs 82*3=256 -> 56: 246-256 = -10,
    wrong."
    Not claim first: restated first (rev9), the claim is a line of the first pass's form, trained,
    and a trained model's own first pass went from 15% to 28% wrong steps (pass@1 66.6 -> 25.3%).
    The route comes before the claimed number: with the claim restated first, a trained model copied
    it into the route (90 of 139 checks of its wrong steps wrote "250+45 = 305" after "59*5=305").
    The claim comes back before the verdict: left far back in the first pass, a trained model could
    not compare the two numbers ("112, not 112."). Even side by side, a verdict read off the two
    numbers stayed at chance (21% "wrong." after a right step, 24% after a wrong one, while the
    route was right in 94%): the difference turns the comparison into a subtraction, which the
    model can do, and the verdict then only asks whether it is 0."""
    route, value = check_expression(a, op, b)
    route += _tens_column(route) if op == "*" else ""
    claim = _line(a, op, b, raw, modulus)
    difference = f"{value}{-raw:+d} = {value - raw}"
    verdict = "ok" if value == raw else "wrong."
    return f"Check {a}{op}{b}: {route} = {value} vs {claim}: {difference}, {verdict}", value


def _tens_column(route: str) -> str:
    """The last addition of a product's route, done on the tens: "240+56" -> ", 24+5=29 tens".
    With "= 480+56 = 536" alone, a trained model wrote the claimed number in 72 of 150 checks of its
    wrong products although both parts were right: the carry it missed in the step ("67*8=516") is
    the carry of this addition. Tens plus tens is the two-digit addition the first pass does well.
    Left out for negative parts and routes that did not split."""
    parts = re.fullmatch(r".* = (\d+)\+(\d+)", route)
    if parts is None:
        return ""
    left, right = int(parts[1]), int(parts[2])
    return f", {left // 10}+{right // 10}={(left + right) // 10} tens"


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
    pieces.append(Piece(candidate_line(candidate), belief=candidate))
    if rng.random() < cfg.p_skip_check:
        return pieces
    for i, (a, op, b, raw) in enumerate(steps):
        text, computed = check_line(a, op, b, raw, modulus)
        pieces.append(Piece(text, belief=candidate))
        if computed == raw:
            continue
        # The check disagrees: trust it, redo the step with its value and recompute the rest.
        value = computed % modulus if modulus else computed
        rest = _run(value, ops[i + 1 :], modulus, rng, 0.0)
        new = _finish(value, ops[i + 1 :], modulus)
        pieces.append(Piece(f"Wait, {_line(a, op, b, computed, modulus)}", belief=new))
        for a2, op2, b2, _ in rest:
            pieces.append(Piece(format_step(a2, op2, b2, modulus), belief=new))
        pieces.append(Piece(candidate_line(new), belief=new))
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
        first = next(p.belief for p in pieces if p.text.startswith(CANDIDATE))
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
