"""`induction`: masked sequence completion under a hidden cyclic rule (meta-ability 2).

As in "Beyond 'Aha!'" (arXiv 2505.10554) and its generator: a cycle of k = 5 + level operations,
each +a (a in 1-4), -b (b in 1-4) or *c (c in 2-4), is applied over and over from a start in 1-5;
the last term is masked and the answer is that integer.

Every puzzle is well posed: it is kept only when the SHORTEST cyclic rule consistent with the shown
numbers has the intended length and allows exactly one value at the question mark. The reader is
not told the operations' ranges, so rules are searched among +d and *c for ANY integers d and c (a
step like 2 -> 4 is +2 or *2: it must not matter). Longer cycles fit any sequence; the shortest
one is the rule a reader is asked to find.

Two shapes of puzzle (`source`); each departs from what it follows where said. The paper trained
on levels 1-2 of its released data, which is far easier than its generator code:

- `source="generator"` (default) follows the generator code (k = 5 + level) with one change: the
  shipped generator draws 7-11 terms (6-10 shown, the last masked) whatever k is, so with k = 6..10
  the operation that makes the masked term was often never shown (at level 5 never) and the answer
  could not be inferred. Here
  k + 2 to k + 6 numbers are shown, so every operation of the cycle appears at least once and the
  first one twice.
- `source="released"` reproduces the paper's released training data (Meta-Ability-Alignment,
  Training/dataset/Induction/<level>/train.parquet, 900 puzzles a level). Measured there, and
  drawn here with the same weights: level 1 shows 4-7 numbers of a +d (297) or *c (315)
  progression or 4-6 of a -a,+b alternation (288); level 2 shows 5-8 numbers, period 1 or 2, and
  346 of 900 mask an inner term (never the first or last) of a +d progression instead of the
  last; levels 3-5 show 6-10 numbers of a cycle of k = level of the paper's operations. Left out:
  the released data's ill-posed puzzles. Its level 2 has 215 that no cycle of +d / *c explains (a
  different first term before an alternation, or alternating /2 and *4): their weight goes to
  alternations here. At levels 3-5 some of its puzzles allow two values (an operation seen once,
  like 3 -> 6, is +3 or *2): redrawn here. Level 1 is a small space: about 300 distinct puzzles
  in 900, there (295) as here.

The paper also mentions symbolic patterns: `kind="symbolic"` repeats a unit of level + 2 letters
(a unit that is not itself a repetition) at least twice and masks the last letter.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, NamedTuple

from reasonlab.tasks.answer_tags import TaggedAnswerTask, paper_question
from reasonlab.tasks.base import Problem, check_counts, register_task
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
SOURCES = ("generator", "released")


class Family(NamedTuple):
    """One kind of puzzle of the released training data, with its count in a level's 900 puzzles."""

    weight: int
    name: str  # how the operations and start are drawn (`released_rule`)
    fewest: int  # numbers shown, the masked one not counted
    most: int
    inner: bool = False  # mask a term other than the first and last


RELEASED = {
    1: (Family(297, "add", 4, 7), Family(315, "multiply", 4, 7), Family(288, "down-up", 4, 6)),
    # 64 alternations, plus the 215 puzzles no cycle explains (see the module docstring)
    2: (
        Family(346, "add", 5, 7, inner=True),
        Family(68, "add", 5, 8),
        Family(207, "up-up", 5, 8),
        Family(64 + 215, "alternate", 5, 8),
    ),
    **{level: (Family(900, "cycle", 6, 10),) for level in (3, 4, 5)},
}


@dataclass(frozen=True)
class InductionConfig:
    """`level` sets the cycle (5 + level operations, or level + 2 letters); `cycle`, `min_terms` and
    `max_terms` (numbers shown, the masked one not counted) override it. `source="released"` draws
    puzzles shaped as the paper's released training data instead (numeric only; see the module)."""

    level: int = 1
    kind: str = "numeric"  # or "symbolic"
    source: str = "generator"  # or "released"
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
        if self.source not in SOURCES:
            raise ValueError(f"source must be generator or released, got {self.source!r}")
        if self.source == "released":
            if self.kind != "numeric":
                raise ValueError(
                    "source=released is numeric only (the released data has no symbolic puzzles)"
                )
            if (self.cycle, self.min_terms, self.max_terms) != (None, None, None):
                raise ValueError("cycle, min_terms and max_terms apply to source=generator only")
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
        check_counts(self)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(cycle length, fewest shown terms, most shown terms) in effect (source=generator)."""
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


def _preimages(fit: tuple[str, int | None], y: int) -> set[int] | None:
    """The x with fit(x) == y; None when there are too many to list (any x, or every divisor)."""
    sign, v = fit
    if v is None:  # a factor never pinned: x * c == y for any x (y == 0) or every divisor of y
        return None
    if sign == "+":
        return {y - v}
    if v == 0:
        return None if y == 0 else set()
    return {y // v} if y % v == 0 else set()


def _images(fit: tuple[str, int | None], x: int) -> set[int] | None:
    """fit(x); None when it is any value (a factor never pinned, applied to a nonzero x)."""
    sign, v = fit
    if sign == "*" and x == 0:
        return {0}
    if v is None:
        return None
    return {x + v} if sign == "+" else {x * v}


def hole_values(terms: list[int | None]) -> tuple[int, set[int | None]]:
    """(period, values) of the shortest cycle of +d / *c operations that fits the shown terms with
    some integer at the one hole (None in `terms`, anywhere): the values it allows there. None in
    the values stands for "too many to list" (any integer, or every divisor of a neighbour)."""
    q, n = terms.index(None), len(terms)
    known = [(i, x, y) for i, (x, y) in enumerate(zip(terms, terms[1:])) if x is not None and y is not None]
    for period in range(1, n):
        fits: dict[int, list[tuple[str, int | None]]] = {}
        for r in range(period):
            pairs = [(x, y) for i, x, y in known if i % period == r]
            if pairs:
                fits[r] = fitting_ops(pairs)
                if not fits[r]:
                    break
        else:
            # The hole's value from the step into it and from the step out of it; a side whose
            # position of the cycle shows no other step does not constrain it.
            sides: list[list[set[int] | None]] = []
            before, after = terms[q - 1] if q > 0 else None, terms[q + 1] if q < n - 1 else None
            if before is not None and (q - 1) % period in fits:
                sides.append([_images(f, before) for f in fits[(q - 1) % period]])
            if after is not None and q % period in fits:
                sides.append([_preimages(f, after) for f in fits[q % period]])
            finite = [[found for found in side if found is not None] for side in sides if None not in side]
            if not finite:  # unconstrained, or only by a factor never pinned: not one value anyway
                return period, {None}
            candidates: set[int] = set().union(*finite[0])
            values: set[int | None] = {
                x for x in candidates if rule_candidates([*terms[:q], x, *terms[q + 1 :]], period)
            }
            if values:
                return period, values
    raise ValueError("need at least two shown terms")


def shortest_period(symbols: list[str]) -> int:
    """Smallest p with symbols[i] == symbols[i + p] wherever both are shown."""
    for p in range(1, len(symbols) + 1):
        if all(symbols[i] == symbols[i + p] for i in range(len(symbols) - p)):
            return p
    return len(symbols)


def released_rule(family: str, level: int, rng: random.Random) -> tuple[list[Op], int]:
    """(operations, start) of a puzzle of the released training data's `family`, with the ranges
    measured there (level 1 alternations start at 1-10, its progressions *c at 1-3)."""
    if family == "add":
        return [("+", rng.randint(*ADD_RANGE))], rng.randint(*START_RANGE)
    if family == "multiply":
        return [("*", rng.randint(*MUL_RANGE))], rng.randint(1, 3)
    if family == "down-up":
        return [("-", rng.randint(1, 3)), ("+", rng.randint(1, 3))], rng.randint(1, 10)
    if family == "up-up":
        a, b = rng.sample(range(1, 5), 2)
        return [("+", a), ("+", b)], rng.randint(*START_RANGE)
    if family == "alternate":  # 4, 1, 4, 1, ... or 2, 1, 2, 1, ...: two values, the larger first
        low = rng.randint(1, 2)
        high = rng.randint(low + 1, 4)
        return [("-", high - low), ("+", high - low)], high
    ops = []
    for _ in range(level):  # "cycle": the paper's operations, k = level
        kind = rng.choice("+-*")
        ops.append(
            (kind, rng.randint(*(MUL_RANGE if kind == "*" else ADD_RANGE if kind == "+" else SUB_RANGE)))
        )
    return ops, rng.randint(*START_RANGE)


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

    def _released(self, rng: random.Random, family: Family, shown: int, mask: int) -> dict[str, Any] | None:
        """A draw of `family`'s rule with `shown` numbers, the one at index `mask` hidden (the shape is
        drawn once per problem, so redraws for well-posedness keep the released data's shares)."""
        ops, start = released_rule(family.name, self.cfg.level, rng)
        terms = [start]
        for i in range(shown):
            terms.append(apply_op(ops[i % len(ops)], terms[-1]))
        if self.cfg.max_abs is not None and max(abs(t) for t in terms) > self.cfg.max_abs:
            return None
        holed: list[int | None] = [None if j == mask else t for j, t in enumerate(terms)]
        if hole_values(holed) != (len(ops), {terms[mask]}):
            return None
        return {"terms": terms, "ops": [list(o) for o in ops], "mask": mask, "family": family.name}

    def problem(self, i: int) -> Problem:
        c = self.cfg
        if c.source == "released":
            rng = self.stream(i, "released")
            families = RELEASED[c.level]
            family = rng.choices(families, weights=[f.weight for f in families])[0]
            shown = rng.randint(family.fewest, family.most)
            mask = rng.randint(1, shown - 1) if family.inner else shown

            def make(r: random.Random) -> dict[str, Any] | None:
                return self._released(r, family, shown, mask)
        else:
            rng = self.stream(i, c.kind)
            make = self._numeric if c.kind == "numeric" else self._symbolic
        drawn, rejected = self.redraw(make, rng, i, "well-posed sequence")
        terms = drawn["terms"]
        hidden = drawn.get("mask", len(terms) - 1)
        shown_items = ["?" if j == hidden else str(t) for j, t in enumerate(terms)]
        puzzle = f"Given the following sequence,\n{shown_items}\nWhat is the value at the question mark?"
        instructions = NUMERIC_INSTRUCTIONS if c.kind == "numeric" else SYMBOLIC_INSTRUCTIONS
        meta = {"level": c.level, "kind": c.kind, "cycle": c.shape[0], "rejected_draws": rejected, **drawn}
        name = c.kind
        if c.source == "released":
            meta |= {"source": "released", "cycle": len(drawn["ops"])}
            name = "released"
        return Problem(
            id=f"induction-{name}-L{c.level}-{c.seed}-{i}",
            question=paper_question(instructions, puzzle, c.instructions),
            answer=str(terms[hidden]),
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
        q = m.get("mask", last + 1)  # the hidden term; only the steps between shown terms are seen
        steps = [arithmetic_text(terms[i], ops[i % k]) for i in range(last + 1) if i not in (q - 1, q)]
        cycle = ", ".join(op_text(o) for o in ops)
        steps.append(f"The operations repeat every {'step' if k == 1 else f'{k} steps'}: {cycle}.")
        position = (q - 1) % k
        if q == last + 1:
            steps.append(
                f"The next is operation {position + 1}: {arithmetic_text(terms[last], ops[position])}."
            )
            return steps
        after = q % k
        steps += [
            f"Term {q + 1} comes from term {q} by operation {position + 1}: "
            f"{arithmetic_text(terms[q - 1], ops[position])}.",
            f"Check: operation {after + 1} takes it to term {q + 2}: "
            f"{arithmetic_text(terms[q], ops[after])}.",
            f"The missing term is {terms[q]}.",
        ]
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
