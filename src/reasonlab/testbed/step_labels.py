"""Exact labels for the lines of a testbed trace: is each line right, where it stands?

A process reward model learns from step labels. On arith they need no humans and no Monte-Carlo
rollouts: every line of a revision trace (revision_traces.py) can be checked exactly, in context.

- A step (first pass, the redone step after "Wait,", or a recomputed one after it) is right when
  its arithmetic is right and it continues the true chain: the operation and operand of its place
  in the problem, applied to the true value before it. A step built on an earlier slip is wrong
  even if its own arithmetic is right: the solution is off track.
- A candidate ("So the answer is X.") or "Confirmed: X." is right when X is the answer.
- A check is right when it recomputes the first-pass step it checks correctly (on the operands as
  written), restates that step word for word and gives the verdict its numbers imply: catching a
  slip is right, a false alarm or a miss is wrong.
- Anything else (a line out of the grammar) is wrong.

So labels are not monotone: a slip is wrong, the check that catches it right, the redone step right.
"""

from __future__ import annotations

import re

from reasonlab.tasks.arith import check_step, parse_step
from reasonlab.tasks.base import Problem
from reasonlab.testbed.revision_traces import check_line
from reasonlab.testbed.traces import CANDIDATE_LINE

_CONFIRMED = re.compile(r"^Confirmed: (-?\d+)\.$")
WAIT = "Wait, "


def true_values(problem: Problem) -> list[int]:
    """The value before each step, and the answer last: [start, v1, ..., vn]."""
    m = problem.metadata
    return [m["start"], *m["values"]]


def _step_right(problem: Problem, text: str, index: int) -> bool:
    m = problem.metadata
    parsed = parse_step(text)
    if parsed is None or not 0 <= index < len(m["ops"]) or not check_step(text, m["modulus"]):
        return False
    a, op, b, _, _ = parsed
    return a == true_values(problem)[index] and [op, b] == list(m["ops"][index])


def _check_right(problem: Problem, text: str, first_pass: list[str], index: int) -> bool:
    """Right when it is exactly the check of the first-pass step it checks: operands, route, the
    step restated as written, and the verdict its numbers imply."""
    parsed = parse_step(first_pass[index]) if index < len(first_pass) else None
    if parsed is None:
        return False
    a, op, b, raw, _ = parsed
    return text == check_line(a, op, b, raw, problem.metadata["modulus"])[0]


def label_lines(problem: Problem, lines: list[str]) -> list[bool]:
    """One label per line of the thinking (blank lines left out by the caller)."""
    labels, first_pass = [], []
    checks = 0  # checks so far: the index of the first-pass step the next check checks
    position = 0  # the index in the problem's chain of the next step line
    candidate_seen = False
    for text in (line.strip() for line in lines):
        if (c := CANDIDATE_LINE.fullmatch(text)) or (c := _CONFIRMED.match(text)):
            labels.append(c[1] == problem.answer)
            candidate_seen = True
        elif text.startswith("Check "):
            labels.append(_check_right(problem, text, first_pass, checks))
            checks += 1
        elif text.startswith(WAIT):
            position = checks - 1  # the step of the check that disagreed is redone
            labels.append(_step_right(problem, text.removeprefix(WAIT), position))
            position += 1
        else:
            labels.append(_step_right(problem, text, position))
            if not candidate_seen:
                first_pass.append(text)
            position += 1
    return labels


def first_wrong(labels: list[bool]) -> int | None:
    """The index of the first wrong line (ProcessBench's target), None if all are right."""
    return next((i for i, ok in enumerate(labels) if not ok), None)
