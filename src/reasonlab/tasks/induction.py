"""`induction`: masked sequence completion under a hidden cyclic rule (meta-ability 2).

As in "Beyond 'Aha!'" (arXiv 2505.10554) and its generator: a cycle of k = 5 + level operations,
each +a (a in 1-4), -b (b in 1-4) or *c (c in 2-4), is applied over and over from a start in 1-5;
the last term is masked and the answer is that integer.

One change makes the puzzles well posed. The shipped generator shows 7-11 terms whatever k is, so
with k = 6..10 the operation that makes the masked term was often never shown (at level 5 never):
the answer could not be inferred. Here the sequence shows k + 2 to k + 6 numbers by default, so
every operation of the cycle appears at least once and the first one twice, and a puzzle is kept
only when the SHORTEST cyclic rule consistent with the shown numbers has exactly k operations and
predicts one value. The reader is not told the operations' ranges, so rules are searched among
+d and *c for ANY integers d and c (a step like 2 -> 4 is +2 or *2: it must not matter). Longer
cycles fit any sequence; the shortest one is the rule a reader is asked to find.

The paper also mentions symbolic patterns: `kind="symbolic"` repeats a unit of level + 2 letters
(a unit that is not itself a repetition) at least twice and masks the last letter.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from reasonlab.core.errors import ReasonlabError
from reasonlab.tasks.answer_tags import TaggedAnswerTask, paper_question
from reasonlab.tasks.base import Problem, register_task
from reasonlab.tasks.grade import normalize_int

LEVELS = (1, 2, 3, 4, 5)
ADD_RANGE, SUB_RANGE, MUL_RANGE, START_RANGE = (1, 4), (1, 4), (2, 4), (1, 5)
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
NUMERIC_INSTRUCTIONS = (
    "Now the user has a numerical pattern recognition question. After thorough thinking, once you reach "
    "a conclusion, please give the value at the question mark within <answer>...</answer> to meet the "
    "pattern of sequence, for example:\n<answer>10</answer>."
)
SYMBOLIC_INSTRUCTIONS = (
    "Now the user has a symbolic pattern recognition question. After thorough thinking, once you reach a "
    "conclusion, please give the symbol at the question mark within <answer>...</answer> to meet the "
    "pattern of sequence, for example:\n<answer>A</answer>."
)

Op = tuple[str, int]  # ("+", 3), ("-", 1), ("*", 2)


@dataclass(frozen=True)
class InductionConfig:
    """`level` sets the cycle (5 + level operations, or level + 2 letters); `cycle`, `min_terms` and
    `max_terms` (numbers shown, the masked one not counted) override it."""

    level: int = 1
    kind: str = "numeric"  # or "symbolic"
    cycle: int | None = None
    min_terms: int | None = None
    max_terms: int | None = None
    max_abs: int | None = None  # redraw sequences with a larger term (None: no cap, as the paper)
    instructions: bool = True  # the paper's tag instructions before the puzzle
    max_draws: int = 100_000
    seed: int = 0
    size: int = 100_000

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"level must be 1 to 5, got {self.level}")
        if self.kind not in ("numeric", "symbolic"):
            raise ValueError(f"kind must be numeric or symbolic, got {self.kind!r}")
        k, lo, hi = self.shape
        if k < 1 or (self.kind == "symbolic" and k < 2):
            raise ValueError(f"cycle must be >= {2 if self.kind == 'symbolic' else 1}, got {k}")
        least = k + 2 if self.kind == "numeric" else 2 * k
        if not least <= lo <= hi:
            raise ValueError(
                f"need {least} <= min_terms <= max_terms for a cycle of {k} (shorter sequences do not "
                f"show the rule), got {lo}, {hi}"
            )
        if self.max_abs is not None and self.max_abs < max(START_RANGE):
            raise ValueError(f"max_abs must be >= {max(START_RANGE)} (the largest start), got {self.max_abs}")
        if self.size < 1 or self.max_draws < 1:
            raise ValueError("size and max_draws must be >= 1")

    @property
    def shape(self) -> tuple[int, int, int]:
        """(cycle length, fewest shown terms, most shown terms) in effect."""
        if self.kind == "numeric":
            k = self.cycle or 5 + self.level
            lo, hi = k + 2, k + 6
        else:
            k = self.cycle or self.level + 2
            lo, hi = 2 * k, 3 * k - 1
        return k, self.min_terms or lo, self.max_terms or max(hi, self.min_terms or lo)


def apply_op(op: Op, x: int) -> int:
    sign, v = op
    return x + v if sign == "+" else x - v if sign == "-" else x * v


def op_text(op: Op) -> str:
    return f"{op[0]}{op[1]}"


def arithmetic_text(x: int, op: Op) -> str:
    """'3-2=1', '-1*3=-3': the step with its operands, checkable alone."""
    return f"{x}{op[0]}{op[1]}={apply_op(op, x)}"


def fitting_ops(pairs: list[tuple[int, int]]) -> list[tuple[str, int | None]]:
    """The operations +d or *c (ANY integers d, c: a reader is not told the generator's ranges) that
    take every x to its y; ("*", None) when every x is 0 and every y is 0 (any factor fits)."""
    fits: list[tuple[str, int | None]] = []
    differences = {y - x for x, y in pairs}
    if len(differences) == 1:
        fits.append(("+", differences.pop()))
    if all(x == 0 for x, _ in pairs):
        if all(y == 0 for _, y in pairs):
            fits.append(("*", None))
    elif all(y == 0 if x == 0 else y % x == 0 for x, y in pairs):
        ratios = {y // x for x, y in pairs if x != 0}
        if len(ratios) == 1:
            fits.append(("*", ratios.pop()))
    return fits


def rule_candidates(terms: list[int], period: int) -> list[list[tuple[str, int | None]]] | None:
    """For a cycle of `period` operations: the operations that fit every shown step at each position
    of the cycle, or None when some position has none."""
    out = []
    for r in range(period):
        fits = fitting_ops([(terms[i], terms[i + 1]) for i in range(r, len(terms) - 1, period)])
        if not fits:
            return None
        out.append(fits)
    return out


def shortest_rule(terms: list[int]) -> tuple[int, list[list[tuple[str, int | None]]]]:
    """(period, candidates) of the shortest cycle of +d / *c operations that fits the shown terms."""
    for period in range(1, len(terms)):
        found = rule_candidates(terms, period)
        if found is not None:
            return period, found
    raise ValueError("need at least two terms")  # a cycle as long as the steps fits any sequence


def predictions(terms: list[int]) -> tuple[int, set[int | None]]:
    """(period, values) the shortest rule allows for the next term; None in the values stands for
    "any integer" (a factor that only ever multiplied 0, applied to a nonzero term)."""
    period, candidates = shortest_rule(terms)
    position, last = (len(terms) - 1) % period, terms[-1]
    values: set[int | None] = set()
    for sign, v in candidates[position]:
        if sign == "+":
            values.add(last + v)
        else:
            values.add(0 if last == 0 else None if v is None else last * v)
    return period, values


def shortest_period(symbols: list[str]) -> int:
    """Smallest p with symbols[i] == symbols[i + p] wherever both are shown."""
    for p in range(1, len(symbols) + 1):
        if all(symbols[i] == symbols[i + p] for i in range(len(symbols) - p)):
            return p
    return len(symbols)


@register_task("induction", InductionConfig)
class InductionTask(TaggedAnswerTask):
    description = "Masked cyclic sequences, numeric or symbolic (meta-ability induction, levels 1-5)."

    def _numeric(self, rng: random.Random) -> dict[str, Any] | None:
        k, lo, hi = self.cfg.shape
        shown = rng.randint(lo, hi)
        # Draw op type first (as the paper's generator does), then its value.
        ops = []
        for _ in range(k):
            kind = rng.choice("+-*")
            lo_v, hi_v = MUL_RANGE if kind == "*" else ADD_RANGE if kind == "+" else SUB_RANGE
            ops.append((kind, rng.randint(lo_v, hi_v)))
        terms = [rng.randint(*START_RANGE)]
        for i in range(shown):  # shown terms, then the masked one
            terms.append(apply_op(ops[i % k], terms[-1]))
        if self.cfg.max_abs is not None and max(abs(t) for t in terms) > self.cfg.max_abs:
            return None
        period, values = predictions(terms[:-1])
        if period != k or values != {terms[-1]}:
            return None
        return {"terms": terms, "ops": [list(o) for o in ops]}

    def _symbolic(self, rng: random.Random) -> dict[str, Any] | None:
        k, lo, hi = self.cfg.shape
        shown = rng.randint(lo, hi)
        alphabet = rng.sample(LETTERS, rng.randint(2, min(k, len(LETTERS))))
        unit = [rng.choice(alphabet) for _ in range(k)]
        terms = [unit[i % k] for i in range(shown + 1)]
        if shortest_period(terms[:-1]) != k:  # the unit repeats itself, or the shown part hides it
            return None
        return {"terms": terms, "unit": unit}

    def problem(self, i: int) -> Problem:
        c = self.cfg
        rng = self.stream(i, c.kind)
        make = self._numeric if c.kind == "numeric" else self._symbolic
        drawn, rejected = None, 0
        while drawn is None:
            if rejected == c.max_draws:
                raise ReasonlabError(
                    f"induction: no well-posed sequence in {c.max_draws} draws for problem {i}"
                )
            drawn = make(rng)
            rejected += drawn is None
        terms = drawn["terms"]
        shown = [str(t) for t in terms[:-1]] + ["?"]
        puzzle = f"Given the following sequence,\n{shown}\nWhat is the value at the question mark?"
        instructions = NUMERIC_INSTRUCTIONS if c.kind == "numeric" else SYMBOLIC_INSTRUCTIONS
        meta = {"level": c.level, "kind": c.kind, "cycle": c.shape[0], "rejected_draws": rejected, **drawn}
        return Problem(
            id=f"induction-{c.kind}-L{c.level}-{c.seed}-{i}",
            question=paper_question(instructions, puzzle, c.instructions),
            answer=str(terms[-1]),
            metadata=meta,
        )

    def reference_steps(self, problem: Problem) -> list[str]:
        """The correct thinking: each shown step worked out, the cycle named, then applied."""
        m = problem.metadata
        terms, k = m["terms"], m["cycle"]
        last = len(terms) - 2  # index of the last shown term
        if m["kind"] == "symbolic":
            unit = ", ".join(m["unit"])
            return [
                f"The sequence repeats every {k} terms: {unit}.",
                f"Term {last + 2} is term {(last + 1) % k + 1} of the cycle: {terms[-1]}.",
            ]
        ops = [tuple(o) for o in m["ops"]]
        steps = [arithmetic_text(terms[i], ops[i % k]) for i in range(last)]
        cycle = ", ".join(op_text(o) for o in ops)
        steps.append(f"The operations repeat every {k} steps: {cycle}.")
        position = last % k
        steps.append(f"The next is operation {position + 1}: {arithmetic_text(terms[last], ops[position])}.")
        return steps

    def parse_answer(self, problem: Problem, text: str) -> int | str | None:
        if problem.metadata["kind"] == "numeric":
            # The paper's checker: int() of the stripped answer (so "3.0" and "x=3" do not parse).
            try:
                return int(text.strip())
            except ValueError:
                return None
        symbol = text.strip().strip("'\"").strip()
        return symbol.upper() if len(symbol) == 1 and symbol.isalpha() else None

    def equivalent(self, a: str, b: str) -> bool:
        x, y = normalize_int(a), normalize_int(b)
        return x == y if x is not None and y is not None else a.strip() == b.strip()
