"""Training traces that make the testbed behave like a small reasoning model.

A plain chain of thought puts the answer only at its very end, so a model trained on it has no idea
what to answer when its thinking is cut early. Real reasoning models reach a candidate answer well
before the end of thinking and spend the rest verifying, and sometimes catch a mistake. The traces
here have that shape:

    37+45=82                           first pass, one step per block
    82*3=256 -> 56                     (an injected mistake in some traces; no loss on it)
    56-18=38
    So the answer is 38.               candidate answer
    Let me check. 37+45=82             second pass recomputes every step...
    82*3=246 -> 46
    Wait, I had 56. It is 46.          ...and fixes the first disagreement
    46-18=28
    So the answer is 28.
    </think>\\n\\nThe answer is \\boxed{28}.

A share of traces is closed early at a random token: the close marker gets no loss (the model must
not learn to stop thinking on its own), and the answer after it is the best one available at the
cut: the answer the reasoning so far leads to, which the model must finish computing in its head.
That is what gives accuracy under truncation a realistic rise with depth.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from reasonlab.tasks.arith import ArithTask, apply_op, format_step
from reasonlab.tasks.base import Problem

CANDIDATE = "So the answer is"  # the line that states a candidate answer in the thinking
CANDIDATE_LINE = re.compile(rf"{CANDIDATE} (-?\d+)\.")  # what analyses of the traces look for


def candidate_line(answer: str) -> str:
    return f"{CANDIDATE} {answer}."


@dataclass(frozen=True)
class TraceConfig:
    p_mistake: float = 0.25  # traces with one injected arithmetic mistake (always caught by the check)
    p_skip_check: float = 0.2  # mistake-free traces that stop after the first pass
    p_early_close: float = 0.3  # traces closed at a uniformly random thinking token

    def pieces(self, problem: Problem, rng: random.Random, task=None) -> list[Piece]:
        return reasoning_pieces(problem, rng, self)

    def solution_text(self, answer: str) -> str:
        return solution_text(answer)

    def describe(self) -> str:
        """The traces in a sentence or three, for the model cards."""
        return (
            "a first pass of steps, a candidate answer, then a second pass that re-checks every step "
            f"the same way. {self.p_mistake:.0%} of traces carry one injected arithmetic mistake (no loss on "
            'it) that the check catches ("Wait, I had 56. It is 46.") and fixes; '
            f"{self.p_skip_check:.0%} of the clean ones skip the check."
        )


@dataclass
class Piece:
    """A run of text in a trace: whether it is trained on, and the answer it leads to."""

    text: str
    loss: bool = True
    belief: str | None = None  # final answer the reasoning points to once this piece is written


def _chain(
    start: int, ops, modulus, mistake_at: int | None, rng: random.Random
) -> tuple[list[str], list[int], int]:
    """Steps of one pass; a mistake at step j alters its raw result and propagates."""
    lines, values, prev, wrong_raw = [], [], start, None
    for i, (op, b) in enumerate(ops):
        raw, value = apply_op(prev, op, b, modulus)
        if i == mistake_at:
            delta = rng.choice([-20, -10, -2, -1, 1, 2, 10, 20])
            raw = raw + delta
            value = raw % modulus if modulus else raw
            wrong_raw = raw
            lines.append(f"{prev}{op}{b}={raw}" + (f" -> {value}" if value != raw else ""))
        else:
            lines.append(format_step(prev, op, b, modulus))
        values.append(value)
        prev = value
    return lines, values, wrong_raw


def reasoning_pieces(problem: Problem, rng: random.Random, cfg: TraceConfig) -> list[Piece]:
    """The thinking of one trace as pieces (steps joined by the "\\n\\n" delimiter)."""
    m = problem.metadata
    ops, modulus, answer = [tuple(o) for o in m["ops"]], m["modulus"], problem.answer
    mistake_at = rng.randrange(len(ops)) if rng.random() < cfg.p_mistake else None
    if mistake_at is not None:
        # Make sure the injected mistake changes the value (a "+20" mod 100 might not).
        lines, values, _ = _chain(m["start"], ops, modulus, mistake_at, rng)
        while values[mistake_at] == m["values"][mistake_at]:
            lines, values, _ = _chain(m["start"], ops, modulus, mistake_at, rng)
    else:
        lines, values, _ = _chain(m["start"], ops, modulus, None, rng)
    first_answer = str(values[-1])
    pieces = []
    for i, line in enumerate(lines):
        wrong = mistake_at is not None and i >= mistake_at
        pieces.append(Piece(line, loss=(i != mistake_at), belief=first_answer if wrong else answer))
    pieces.append(Piece(candidate_line(first_answer), belief=first_answer))
    if mistake_at is None and rng.random() < cfg.p_skip_check:
        return pieces
    correct_lines = ArithTask().reference_steps(problem)
    belief = first_answer
    for i, line in enumerate(correct_lines):
        text = ("Let me check. " if i == 0 else "") + line
        pieces.append(Piece(text, belief=belief))
        if mistake_at is not None and i == mistake_at:
            belief = answer
            pieces.append(Piece(f"Wait, I had {values[i]}. It is {m['values'][i]}.", belief=answer))
    pieces.append(
        Piece(
            candidate_line(answer) if mistake_at is not None else f"Confirmed: {answer}.",
            belief=answer,
        )
    )
    return pieces


def solution_text(answer: str) -> str:
    return f"The answer is \\boxed{{{answer}}}."


@dataclass
class Example:
    ids: list[int]
    loss_mask: list[int]
    early_close: bool


def build_example(
    problem: Problem,
    tokenizer,
    prompt_ids: list[int],
    close_id: int,
    rng: random.Random,
    cfg,
    delimiter: str = "\n\n",
    task=None,
) -> Example:
    """Token ids and loss mask of one training sequence: prompt (no loss), thinking, close, answer.
    `cfg` is a TraceConfig, a revision_traces.RevisionTraceConfig or a logic_traces.LogicTraceConfig:
    anything with `pieces(problem, rng, task)`, `solution_text(answer)` and `p_early_close`; `task` is
    the problem's task (the logic traces read its reference steps)."""
    pieces = cfg.pieces(problem, rng, task)
    ids, mask, beliefs = list(prompt_ids), [0] * len(prompt_ids), []
    for k, piece in enumerate(pieces):
        text = piece.text + (delimiter if k < len(pieces) - 1 else "\n")
        tok = tokenizer.encode(text, add_special_tokens=False)
        ids += tok
        mask += [int(piece.loss)] * len(tok)
        beliefs.append((len(ids), piece.belief))  # belief holds once the piece is fully written
    early = rng.random() < cfg.p_early_close
    answer = problem.answer
    if early:
        cut = rng.randint(len(prompt_ids), len(ids) - 1)
        ids, mask = ids[:cut], mask[:cut]
        answer = next((b for end, b in reversed(beliefs) if end <= cut), None) or problem.answer
    tail = tokenizer.encode(delimiter + cfg.solution_text(answer), add_special_tokens=False) + [
        tokenizer.eos_token_id
    ]
    ids += [close_id] + tail
    mask += [0 if early else 1] + [1] * len(tail)
    return Example(ids, mask, early)
