"""`deduction`: propositional satisfiability puzzles with exactly one solution (meta-ability 1).

As in "Beyond 'Aha!'" (arXiv 2505.10554) and its generator: 3 to 6 nested formulas over n variables;
a node above the maximum depth is NOT with probability 0.2, else a binary ->, AND, OR, <-> or XOR;
a leaf is a variable, negated with probability 0.4. Levels 1-5 are (n, depth) = (4, 1) (6, 2) (8, 3)
(10, 4) (12, 5). A puzzle is kept only when EXACTLY ONE assignment satisfies every formula (the
answer is then well defined); drawing continues, deterministically from (seed, index), until one is.

Uniqueness is counted exactly on truth tables held as 2^n-bit integers (one AND/OR/XOR per node
covers every assignment at once: microseconds up to n = 16); past that a SAT solver (python-sat)
counts up to two models with a blocking clause.

The answer is "(1) A is True\\n(2) B is False ..." over all n variables; the reference thinking is a
propagate-then-guess search in which every step names the formula that forces it.
"""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass
from typing import Any

from reasonlab.core.errors import ReasonlabError
from reasonlab.tasks.answer_tags import (
    TaggedAnswerTask,
    numbered_statements,
    paper_question,
    parse_statements,
)
from reasonlab.tasks.base import Problem, check_counts, register_task

LEVELS = {1: (4, 1), 2: (6, 2), 3: (8, 3), 4: (10, 4), 5: (12, 5)}  # level -> (variables, depth)
BINARY_OPS = ("->", "AND", "OR", "<->", "XOR")
P_NOT, P_NEGATED_LEAF = 0.2, 0.4
BRUTE_FORCE_MAX_VARS = 16  # truth tables of 2^16 bits; a SAT solver past that
NOTATIONS = {
    # The paper's symbols, and words every ASCII tokenizer can encode (the testbed's among them).
    "unicode": {"NOT": "¬", "->": "→", "AND": "∧", "OR": "∨", "<->": "↔", "XOR": "⊕"},
    "ascii": {"NOT": "NOT ", "->": "->", "AND": "AND", "OR": "OR", "<->": "<->", "XOR": "XOR"},
}
INSTRUCTIONS = (
    "Now the user has a logical formula problem. After thorough thinking, once you reach a conclusion, "
    "please list the truth value of each variable within <answer>...</answer> to satisfy the formulas, "
    "for example:\n<answer>\n(1) A is true\n(2) B is false\n...</answer>."
)
VALUES = ("True", "False")

# A formula is nested lists (JSON, so it travels in Problem.metadata):
#   ["lit", var_index, negated]   ["not", child]   [op, left, right] with op in BINARY_OPS
Formula = list


@dataclass(frozen=True)
class DeductionConfig:
    """`level` picks (variables, depth) from the paper's table; `variables`/`depth` override it."""

    level: int = 1
    variables: int | None = None
    depth: int | None = None
    min_formulas: int = 3
    max_formulas: int = 6
    notation: str = "unicode"  # the paper's symbols; "ascii" for ASCII-only tokenizers
    instructions: bool = True  # the paper's tag instructions before the puzzle
    # Draws per problem before giving up loudly (a shape that is never unique would loop forever):
    # level 5 takes ~175 on average; 18 variables at depth 5, up to ~13,000.
    max_draws: int = 20_000
    seed: int = 0
    size: int = 100_000

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"level must be 1 to 5, got {self.level}")
        n, depth = self.shape
        if not 1 <= n <= 26:
            raise ValueError(f"variables must be 1 to 26 (named A-Z), got {n}")
        if depth < 0:
            raise ValueError(f"depth must be >= 0, got {depth}")
        if not 1 <= self.min_formulas <= self.max_formulas:
            raise ValueError(
                f"need 1 <= min_formulas <= max_formulas, got {self.min_formulas}, {self.max_formulas}"
            )
        if self.max_formulas * 2**depth < n:
            most = self.max_formulas * 2**depth
            raise ValueError(
                f"{self.max_formulas} formulas of depth {depth} mention at most {most} variables, "
                f"fewer than {n}: no puzzle could have a unique solution"
            )
        if self.notation not in NOTATIONS:
            raise ValueError(f"notation must be one of {', '.join(NOTATIONS)}, got {self.notation!r}")
        check_counts(self)

    @property
    def shape(self) -> tuple[int, int]:
        """(variables, depth) in effect."""
        n, depth = LEVELS[self.level]
        return (self.variables or n, depth if self.depth is None else self.depth)


def var_name(i: int) -> str:
    return chr(ord("A") + i)


def random_formula(rng: random.Random, n: int, max_depth: int, depth: int = 0) -> Formula:
    """The generator's tree: every path runs to `max_depth` (NOT nodes count as a level)."""
    if depth >= max_depth:
        return ["lit", rng.randrange(n), rng.random() < P_NEGATED_LEAF]
    if rng.random() < P_NOT:
        return ["not", random_formula(rng, n, max_depth, depth + 1)]
    op = rng.choice(BINARY_OPS)
    return [op, random_formula(rng, n, max_depth, depth + 1), random_formula(rng, n, max_depth, depth + 1)]


def formula_depth(f: Formula) -> int:
    if f[0] == "lit":
        return 0
    if f[0] == "not":
        return 1 + formula_depth(f[1])
    return 1 + max(formula_depth(f[1]), formula_depth(f[2]))


def formula_vars(f: Formula) -> set[int]:
    if f[0] == "lit":
        return {f[1]}
    return set().union(*(formula_vars(c) for c in f[1:]))


def render(f: Formula, notation: str = "unicode") -> str:
    """The paper's rendering: "¬A" for a negated leaf, "¬(...)" for a NOT node, "(l op r)"."""
    sym = NOTATIONS[notation]
    if f[0] == "lit":
        return (sym["NOT"] if f[2] else "") + var_name(f[1])
    if f[0] == "not":
        return f"{sym['NOT']}({render(f[1], notation)})"
    return f"({render(f[1], notation)} {sym[f[0]]} {render(f[2], notation)})"


def apply_op(op: str, a: bool, b: bool) -> bool:
    if op == "AND":
        return a and b
    if op == "OR":
        return a or b
    if op == "->":
        return (not a) or b
    if op == "<->":
        return a == b
    if op == "XOR":
        return a != b
    raise ValueError(f"unknown operator {op!r}")


def evaluate(f: Formula, assignment: dict[int, bool]) -> bool | None:
    """Kleene three-valued value under a partial assignment (None: not decided yet)."""
    if f[0] == "lit":
        v = assignment.get(f[1])
        return None if v is None else v != f[2]
    if f[0] == "not":
        v = evaluate(f[1], assignment)
        return None if v is None else not v
    a, b = evaluate(f[1], assignment), evaluate(f[2], assignment)
    op = f[0]
    if a is not None and b is not None:
        return apply_op(op, a, b)
    if op == "AND":
        return False if False in (a, b) else None
    if op == "OR":
        return True if True in (a, b) else None
    if op == "->":
        return True if a is False or b is True else None
    return None  # <->, XOR need both sides


# ---------------------------------------------------------------------------------------- counting


@functools.lru_cache(maxsize=32)
def _var_tables(n: int) -> tuple[int, ...]:
    """Truth table of each variable over all 2^n assignments: bit a is set when assignment a makes
    variable i true, with variable i the bit (n-1-i) of a (so A is the most significant)."""
    size = 1 << n
    tables = []
    for i in range(n):
        shift = n - 1 - i
        block = 1 << shift  # runs of `block` zeros then `block` ones, from assignment 0 up
        pattern, width = ((1 << block) - 1) << block, 2 * block
        while width < size:  # double the pattern up to 2^n bits
            pattern |= pattern << width
            width *= 2
        tables.append(pattern)
    return tuple(tables)


def truth_table(f: Formula, n: int) -> int:
    full = (1 << (1 << n)) - 1
    tables = _var_tables(n)

    def go(node: Formula) -> int:
        if node[0] == "lit":
            t = tables[node[1]]
            return full ^ t if node[2] else t
        if node[0] == "not":
            return full ^ go(node[1])
        a, b = go(node[1]), go(node[2])
        op = node[0]
        if op == "AND":
            return a & b
        if op == "OR":
            return a | b
        if op == "XOR":
            return a ^ b
        if op == "->":
            return (full ^ a) | b
        return full ^ (a ^ b)  # <->

    return go(f)


def assignment_of(index: int, n: int) -> list[bool]:
    return [bool((index >> (n - 1 - i)) & 1) for i in range(n)]


def solutions_brute_force(formulas: list[Formula], n: int, limit: int = 2) -> list[list[bool]]:
    """Up to `limit` satisfying assignments (exact: every assignment is in the truth tables)."""
    table = (1 << (1 << n)) - 1
    for f in formulas:
        table &= truth_table(f, n)
    out = []
    while table and len(out) < limit:
        top = table.bit_length() - 1
        out.append(assignment_of(top, n))
        table ^= 1 << top
    return out


def tseitin(formulas: list[Formula], n: int) -> list[list[int]]:
    """CNF equisatisfiable with the formulas, models in one-to-one correspondence on variables
    1..n (every gate variable is defined by its inputs)."""
    clauses: list[list[int]] = []
    counter = [n]

    def gate(node: Formula) -> int:
        if node[0] == "lit":
            return -(node[1] + 1) if node[2] else node[1] + 1
        if node[0] == "not":
            return -gate(node[1])
        a, b = gate(node[1]), gate(node[2])
        counter[0] += 1
        g, op = counter[0], node[0]
        if op == "->":
            a, op = -a, "OR"
        if op == "AND":
            clauses.extend([[-g, a], [-g, b], [g, -a, -b]])
        elif op == "OR":
            clauses.extend([[g, -a], [g, -b], [-g, a, b]])
        else:  # XOR; <-> is its negation
            x = g if op == "XOR" else -g
            clauses.extend([[-x, a, b], [-x, -a, -b], [x, -a, b], [x, a, -b]])
        return g

    for f in formulas:
        clauses.append([gate(f)])
    return clauses


def solutions_sat(formulas: list[Formula], n: int, limit: int = 2) -> list[list[bool]]:
    """Up to `limit` satisfying assignments from a SAT solver, each found model blocked in turn."""
    try:
        from pysat.solvers import Solver
    except ImportError:
        raise ReasonlabError(
            f"deduction with {n} variables needs a SAT solver: pip install 'python-sat>=1.8.dev0'"
        ) from None
    out = []
    with Solver(name="minisat22", bootstrap_with=tseitin(formulas, n)) as solver:
        while len(out) < limit and solver.solve():
            model = set(solver.get_model())
            values = [(i + 1) in model for i in range(n)]
            out.append(values)
            solver.add_clause([-(i + 1) if v else i + 1 for i, v in enumerate(values)])
    return out


def solutions(formulas: list[Formula], n: int, limit: int = 2) -> list[list[bool]]:
    if n <= BRUTE_FORCE_MAX_VARS:
        return solutions_brute_force(formulas, n, limit)
    return solutions_sat(formulas, n, limit)


# ------------------------------------------------------------------------------------- reasoning


@dataclass(frozen=True)
class TraceStep:
    """One step of the reference search, with the assignment it leaves (for checking it alone).

    kind: "forced" (value of `var` is forced: the other value falsifies formula `formula`), "guess",
    "conflict" (both values of `var` falsify a formula: the last guess was wrong), "retract" (the
    guess on `var` is undone and its other value taken), "done" (every formula is true)."""

    kind: str
    var: int | None
    value: bool | None
    formula: int | None  # 0-based index of the formula that forces or refutes
    other_formula: int | None
    assignment: tuple[tuple[int, bool], ...]


def _falsified(formulas: list[Formula], assignment: dict[int, bool]) -> int | None:
    for k, f in enumerate(formulas):
        if evaluate(f, assignment) is False:
            return k
    return None


def solve_trace(formulas: list[Formula], n: int) -> list[TraceStep]:
    """A DPLL-style search: set every variable one value of which falsifies a formula (three-valued
    evaluation), and when none is forced guess the first open variable True; a conflict undoes the
    latest guess. Returns the steps up to the (unique) solution."""
    steps: list[TraceStep] = []

    def snap(a: dict[int, bool]) -> tuple[tuple[int, bool], ...]:
        return tuple(sorted(a.items()))

    def search(assignment: dict[int, bool]) -> dict[int, bool] | None:
        a = dict(assignment)
        while True:
            forced = None
            for v in range(n):
                if v in a:
                    continue
                bad_true = _falsified(formulas, {**a, v: True})
                bad_false = _falsified(formulas, {**a, v: False})
                if bad_true is not None and bad_false is not None:
                    steps.append(TraceStep("conflict", v, None, bad_true, bad_false, snap(a)))
                    return None
                if bad_true is not None or bad_false is not None:
                    forced = (v, bad_true is not None, bad_true if bad_true is not None else bad_false)
                    break
            if forced is None:
                break
            v, value_false, k = forced
            a[v] = not value_false
            steps.append(TraceStep("forced", v, a[v], k, None, snap(a)))
        if len(a) == n:
            if all(evaluate(f, a) for f in formulas):
                steps.append(TraceStep("done", None, None, None, None, snap(a)))
                return a
            return None  # unreachable: a full assignment falsifies a formula or satisfies all
        v = min(set(range(n)) - set(a))
        steps.append(TraceStep("guess", v, True, None, None, snap({**a, v: True})))
        found = search({**a, v: True})
        if found is not None:
            return found
        steps.append(TraceStep("retract", v, False, None, None, snap({**a, v: False})))
        return search({**a, v: False})

    if search({}) is None:
        raise ValueError("the formulas have no solution")
    return steps


def _value(v: bool) -> str:
    return "True" if v else "False"


def step_text(step: TraceStep) -> str:
    """One line of the reference thinking."""
    if step.kind == "forced":
        return (
            f"{var_name(step.var)}={_value(not step.value)} makes formula {step.formula + 1} false, "
            f"so {var_name(step.var)}={_value(step.value)}."
        )
    if step.kind == "guess":
        return f"Nothing is forced. Guess {var_name(step.var)}=True."
    if step.kind == "conflict":
        return (
            f"{var_name(step.var)}=True makes formula {step.formula + 1} false and "
            f"{var_name(step.var)}=False makes formula {step.other_formula + 1} false: contradiction."
        )
    if step.kind == "retract":
        return f"So the guess was wrong: {var_name(step.var)}=False."
    values = ", ".join(f"{var_name(v)}={_value(b)}" for v, b in step.assignment)
    return f"{values} makes every formula true."


@register_task("deduction", DeductionConfig)
class DeductionTask(TaggedAnswerTask):
    description = "Propositional satisfiability with a unique solution (meta-ability deduction, levels 1-5)."

    def draw(self, i: int) -> tuple[list[Formula], list[bool], int]:
        """(formulas, the unique solution, rejected draws) of problem i."""
        c = self.cfg
        n, depth = c.shape
        rng = self.stream(i)

        def unique_puzzle(rng: random.Random) -> tuple[list[Formula], list[bool]] | None:
            count = rng.randint(c.min_formulas, c.max_formulas)
            formulas = [random_formula(rng, n, depth) for _ in range(count)]
            found = solutions(formulas, n, limit=2)
            return (formulas, found[0]) if len(found) == 1 else None

        hint = f"{n} variables, depth {depth}; raise max_draws or change the shape"
        (formulas, solution), rejected = self.redraw(
            unique_puzzle, rng, i, "puzzle with a unique solution", hint
        )
        return formulas, solution, rejected

    def problem(self, i: int) -> Problem:
        c = self.cfg
        n, depth = c.shape
        formulas, solution, rejected = self.draw(i)
        lines = "\n".join(f"  - {render(f, c.notation)}" for f in formulas)
        puzzle = f"Below are some nested formulas:\n{lines}\nPlease list the truth value of each variable"
        answer = numbered_statements([(var_name(v), _value(b)) for v, b in enumerate(solution)])
        meta: dict[str, Any] = {
            "level": c.level,
            "variables": n,
            "depth": depth,
            "formulas": formulas,
            "solution": solution,
            "rejected_draws": rejected,
            "notation": c.notation,
        }
        return Problem(
            id=f"deduction-L{c.level}-{c.seed}-{i}",
            question=paper_question(INSTRUCTIONS, puzzle, c.instructions),
            answer=answer,
            metadata=meta,
        )

    def trace(self, problem: Problem) -> list[TraceStep]:
        m = problem.metadata
        return solve_trace(m["formulas"], m["variables"])

    def reference_steps(self, problem: Problem) -> list[str]:
        """The correct thinking, one string per step: forced values, guesses, and retractions."""
        return [step_text(s) for s in self.trace(problem)]

    def parse_answer(self, problem: Problem, text: str) -> dict[str, str] | None:
        names = [var_name(v) for v in range(problem.metadata["variables"])]
        return parse_statements(text, names, VALUES)

    def equivalent(self, a: str, b: str) -> bool:
        # Without the problem the variable names are those the answers state.
        names = sorted({m.upper() for m in _stated_names(a) | _stated_names(b)})
        x, y = parse_statements(a, names, VALUES), parse_statements(b, names, VALUES)
        return x == y if x is not None and y is not None else a.strip() == b.strip()


def _stated_names(text: str) -> set[str]:
    return set(re.findall(r"\b([A-Za-z])\s+is\s+(?:true|false)\b", text, re.IGNORECASE))
