"""deduction: every puzzle has exactly one solution, counted here independently of the generator (the
question's text parsed back and evaluated on all assignments with numpy; a SAT solver with blocking
clauses for the larger levels), in the paper's shapes, with answers and reference thinking that agree."""

import re

import numpy as np
import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.tasks import create_task
from reasonlab.tasks.deduction import (
    LEVELS,
    DeductionConfig,
    DeductionTask,
    formula_depth,
    random_formula,
    solutions_brute_force,
    solutions_sat,
)

TOKEN = re.compile(r"\s*(¬|NOT|\(|\)|→|∧|∨|↔|⊕|<->|->|AND|OR|XOR|[A-Z])")
BINARY = {"→": "->", "∧": "AND", "∨": "OR", "↔": "<->", "⊕": "XOR", "->": "->", "AND": "AND", "OR": "OR"}
BINARY |= {"<->": "<->", "XOR": "XOR"}


def parse(text: str):
    """A rendered formula back to a tree: ("var", i) | ("not", x) | (op, x, y)."""
    tokens, pos = [], 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        assert m, f"cannot read {text[pos:]!r}"
        tokens.append(m.group(1))
        pos = m.end()
    tokens.reverse()

    def expr():
        tok = tokens.pop()
        if tok in ("¬", "NOT"):
            return ("not", expr())
        if tok == "(":
            left = expr()
            if tokens[-1] == ")":
                tokens.pop()
                return left
            op = BINARY[tokens.pop()]
            right = expr()
            assert tokens.pop() == ")"
            return (op, left, right)
        return ("var", ord(tok) - ord("A"))

    tree = expr()
    assert not tokens
    return tree


def formulas_of(question: str):
    return [parse(line[4:]) for line in question.splitlines() if line.startswith("  - ")]


def table(tree, columns: np.ndarray) -> np.ndarray:
    """The formula's value on every assignment (one row per assignment) at once."""
    if tree[0] == "var":
        return columns[:, tree[1]]
    if tree[0] == "not":
        return ~table(tree[1], columns)
    a, b = table(tree[1], columns), table(tree[2], columns)
    return {"AND": a & b, "OR": a | b, "XOR": a ^ b, "->": ~a | b, "<->": ~(a ^ b)}[tree[0]]


def all_assignments(n: int) -> np.ndarray:
    return ((np.arange(2**n)[:, None] >> np.arange(n)[::-1]) & 1).astype(bool)


def answer_values(answer: str) -> list[bool]:
    return [v == "True" for v in re.findall(r"\(\d+\) [A-Z] is (True|False)", answer)]


def assert_unique_and_answered(task, p) -> None:
    n = p.metadata["variables"]
    columns = all_assignments(n)
    sat = np.ones(2**n, dtype=bool)
    for tree in formulas_of(p.question):
        sat &= table(tree, columns)
    assert sat.sum() == 1, p.id
    assert list(columns[sat.argmax()]) == answer_values(p.answer)
    assert task.check(p, p.answer)


@pytest.mark.parametrize(
    "level,seeds,per_seed", [(1, 40, 60), (2, 30, 50), (3, 10, 15), (4, 5, 8), (5, 4, 5)]
)
def test_every_puzzle_has_exactly_the_answer_as_its_one_solution(level, seeds, per_seed):
    for seed in range(seeds):
        task = create_task("deduction", level=level, seed=seed)
        for i in range(per_seed):
            assert_unique_and_answered(task, task.problem(i))


def sat_count(question: str, n: int, limit: int = 3) -> int:
    """Models counted by a SAT solver on pysat's own encoding, each found one blocked in turn."""
    from pysat.formula import And, Atom, Equals, Formula, Implies, Neg, Or, XOr
    from pysat.solvers import Solver

    atoms = [Atom(chr(ord("A") + i)) for i in range(n)]
    ops = {"AND": And, "OR": Or, "XOR": XOr, "->": Implies, "<->": Equals}

    def build(tree):
        if tree[0] == "var":
            return atoms[tree[1]]
        if tree[0] == "not":
            return Neg(build(tree[1]))
        return ops[tree[0]](build(tree[1]), build(tree[2]))

    formula = And(*[build(t) for t in formulas_of(question)])
    ids = formula.literals(atoms)
    count = 0
    with Solver(name="cadical153", bootstrap_with=formula) as solver:
        while count < limit and solver.solve():
            model = set(solver.get_model())
            solver.add_clause([-v if v in model else v for v in ids])
            count += 1
    Formula.cleanup()
    return count


@pytest.mark.parametrize("level", [3, 4, 5])
def test_a_sat_solver_agrees_on_uniqueness(level):
    task = create_task("deduction", level=level, seed=7)
    for i in range(30):
        p = task.problem(i)
        assert sat_count(p.question, p.metadata["variables"]) == 1


def test_the_generators_sat_path_counts_like_brute_force():
    import random

    rng = random.Random(0)
    for _ in range(300):
        n, depth = rng.randint(2, 6), rng.randint(1, 3)
        formulas = [random_formula(rng, n, depth) for _ in range(rng.randint(1, 4))]
        brute = solutions_brute_force(formulas, n, limit=64)
        sat = solutions_sat(formulas, n, limit=64)
        assert sorted(brute) == sorted(sat)


def test_the_sat_path_draws_the_same_puzzles(monkeypatch):
    """Past BRUTE_FORCE_MAX_VARS the solver decides uniqueness: with the threshold lowered, the
    solver path must accept exactly the draws the truth tables accept."""
    from reasonlab.tasks import deduction

    by_tables = [create_task("deduction", level=level).problem(i) for level in (1, 2, 3) for i in range(15)]
    monkeypatch.setattr(deduction, "BRUTE_FORCE_MAX_VARS", 0)
    by_solver = [create_task("deduction", level=level).problem(i) for level in (1, 2, 3) for i in range(15)]
    assert by_solver == by_tables


@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_level_shapes(level):
    n, depth = LEVELS[level]
    task = create_task("deduction", level=level, seed=3)
    counts = set()
    for i in range(60 if level <= 2 else 12):
        p = task.problem(i)
        formulas = p.metadata["formulas"]
        counts.add(len(formulas))
        assert p.metadata["variables"] == n and p.metadata["depth"] == depth
        assert all(formula_depth(f) == depth for f in formulas)  # every path runs to the depth
        assert len(formulas_of(p.question)) == len(formulas) and 3 <= len(formulas) <= 6
        assert answer_values(p.answer) == p.metadata["solution"] and len(p.metadata["solution"]) == n
        used = set(re.findall(r"[A-Z]", "".join(line for line in p.question.splitlines() if "  - " in line)))
        assert used == {chr(ord("A") + v) for v in range(n)}  # unique => every variable appears
    if level <= 2:
        assert counts == {3, 4, 5, 6}


def test_the_paper_prompt_and_answer_format():
    p = create_task("deduction", level=2).problem(0)
    assert "<think> </think> and <answer> </answer> tags" in p.question
    assert "list the truth value of each variable within <answer>...</answer>" in p.question
    assert "Below are some nested formulas:\n  - " in p.question
    assert p.question.endswith("Please list the truth value of each variable")
    assert re.fullmatch(r"(\(\d\) [A-F] is (True|False)\n){5}\(6\) F is (True|False)", p.answer)
    bare = create_task("deduction", level=2, instructions=False).problem(0)
    assert bare.question.startswith("Below are some nested formulas:") and bare.answer == p.answer


def test_ascii_notation_states_the_same_puzzle():
    u, a = (
        create_task("deduction", level=3).problem(5),
        create_task("deduction", level=3, notation="ascii").problem(5),
    )
    assert u.answer == a.answer and formulas_of(u.question) == formulas_of(a.question)
    assert all(ord(ch) < 128 for ch in a.question) and any(ch in u.question for ch in "∧∨→↔⊕")


def test_problems_depend_only_on_seed_and_index():
    a, b = create_task("deduction", level=2), create_task("deduction", level=2)
    assert a.problem(11) == b.problem(11)
    assert a.problem(11) != a.problem(12)
    other = create_task("deduction", level=2, seed=1)
    assert sum(other.problem(i).question != a.problem(i).question for i in range(50)) == 50


def test_check_tolerates_what_the_paper_does_and_nothing_else():
    task = create_task("deduction", level=1)
    p = task.problem(4)
    lines = p.answer.splitlines()
    assert task.check(p, " ".join(reversed(lines)).lower())  # order, case, spacing
    assert task.check(p, "\n".join(line.split(") ", 1)[1] for line in lines))  # numbering
    flipped = p.answer.replace("True", "X").replace("False", "True").replace("X", "False")
    assert not task.check(p, flipped)
    one_wrong = "\n".join(
        lines[:-1] + [lines[-1].replace("True", "F").replace("False", "True").replace("F", "False")]
    )
    assert task.parse_answer(p, one_wrong) is not None and not task.check(p, one_wrong)
    assert task.parse_answer(p, "\n".join(lines[:-1])) is None  # a variable missing
    assert task.parse_answer(p, p.answer + "\n(5) A is True") is None  # a statement too many
    assert not task.check(p, None)


def test_extract_reads_the_last_answer_block_after_the_thinking():
    task = create_task("deduction", level=1)
    p = task.problem(0)
    good = f"<answer>junk</answer> try\n</think>\n<answer>\n{p.answer}\n</answer>"
    assert task.extract_answer(good) == p.answer and task.score(p, good) == 1.0
    assert task.extract_answer(f"</think> \\boxed{{{p.answer}}}") is None
    assert task.score(p, f"<answer>{p.answer}</answer></think> nothing after") == 0.0


def independent_falsifies(tree, n: int, partial: dict[int, bool]) -> bool:
    """Whether the formula is false on EVERY completion of the partial assignment."""
    columns = all_assignments(n)
    rows = np.ones(2**n, dtype=bool)
    for v, b in partial.items():
        rows &= columns[:, v] == b
    return not table(tree, columns)[rows].any()


@pytest.mark.parametrize("level,count", [(1, 300), (2, 200), (3, 30)])
def test_reference_steps_are_sound_and_end_at_the_answer(level, count):
    task = create_task("deduction", level=level, seed=2)
    for i in range(count):
        p = task.problem(i)
        n, trees = p.metadata["variables"], formulas_of(p.question)
        trace, steps = task.trace(p), task.reference_steps(p)
        assert len(trace) == len(steps) and all(s.strip() and "\n\n" not in s for s in steps)
        for step in trace:
            state = dict(step.assignment)
            if step.kind == "forced":
                before = {v: b for v, b in state.items() if v != step.var}
                assert independent_falsifies(trees[step.formula], n, {**before, step.var: not step.value})
            elif step.kind == "conflict":
                assert independent_falsifies(trees[step.formula], n, {**state, step.var: True})
                assert independent_falsifies(trees[step.other_formula], n, {**state, step.var: False})
        assert trace[-1].kind == "done"
        assert [b for _, b in trace[-1].assignment] == answer_values(p.answer)
        assert steps[-1].startswith(", ".join(f"{chr(65 + v)}={b}" for v, b in trace[-1].assignment))


def test_reference_solution_scores_and_calibration_layout():
    task = create_task("deduction", level=2)
    p = task.problem(1)
    text = "\n\n".join(task.reference_steps(p)) + "\n</think>\n\n" + task.reference_solution(p)
    assert task.score(p, text) == 1.0 and task.reference_solution(p) == f"<answer>{p.answer}</answer>"


def test_testbed_tokenizer_encodes_the_ascii_notation_only():
    from reasonlab.testbed.tokenizer import build_tokenizer

    tok = build_tokenizer()
    for notation, ok in (("ascii", True), ("unicode", False)):
        task = create_task("deduction", level=2, notation=notation)
        p = task.problem(0)
        text = p.question + "\n\n".join(task.reference_steps(p)) + task.reference_solution(p)
        assert (tok.unk_token_id not in tok.encode(text, add_special_tokens=False)) is ok


@pytest.mark.parametrize(
    "options,message",
    [
        ({"level": 0}, r"^task 'deduction': level must be 1 to 5, got 0$"),
        ({"level": 6}, r"^task 'deduction': level must be 1 to 5, got 6$"),
        ({"variables": 27}, "variables must be 1 to 26"),
        ({"variables": 20, "depth": 1}, "no puzzle could have a unique solution"),
        ({"notation": "latex"}, "notation must be one of unicode, ascii"),
        ({"min_formulas": 4, "max_formulas": 3}, "min_formulas <= max_formulas"),
    ],
)
def test_bad_config_is_a_one_line_error(options, message):
    with pytest.raises(ReasonlabError, match=message) as err:
        create_task("deduction", **options)
    assert "\n" not in str(err.value)


def test_a_config_that_never_yields_a_unique_puzzle_fails_loudly():
    task = DeductionTask(DeductionConfig(variables=12, depth=1, max_formulas=6, max_draws=50))
    with pytest.raises(ReasonlabError, match="no puzzle with a unique solution in 50 draws"):
        task.problem(0)
