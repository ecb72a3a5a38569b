"""induction: the masked term follows from the shown terms (the shortest fitting cycle, searched here
independently, has the level's length and one prediction), in the paper's shapes, with answers and
reference thinking that agree."""

import ast
import re
from fractions import Fraction

import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.tasks import create_task


def shown_terms(question: str) -> list[str]:
    line = next(line for line in question.splitlines() if line.startswith("["))
    items = ast.literal_eval(line)
    assert items[-1] == "?" and "?" not in items[:-1]
    return items[:-1]


def next_values(terms: list[int]) -> tuple[int, set]:
    """Brute force over cycle lengths: for each position of the cycle, the constant difference and the
    constant ratio its steps share (either may fail); the first length where every position has one
    wins. Returns (length, the values it allows next; "any" for a ratio that was never pinned)."""
    for period in range(1, len(terms)):
        options = []
        for r in range(period):
            pairs = list(zip(terms[r:-1:period], terms[r + 1 :: period]))
            fits = []
            if len({b - a for a, b in pairs}) == 1:
                fits.append(("+", pairs[0][1] - pairs[0][0]))
            if all(b == 0 for a, b in pairs if a == 0):
                ratios = {Fraction(b, a) for a, b in pairs if a != 0}
                if not ratios:
                    fits.append(("*", "any"))
                elif len(ratios) == 1 and ratios.copy().pop().denominator == 1:
                    fits.append(("*", int(ratios.pop())))
            if not fits:
                break
            options.append(fits)
        else:
            last, position = terms[-1], (len(terms) - 1) % period
            values = set()
            for sign, v in options[position]:
                if sign == "+":
                    values.add(last + v)
                else:
                    values.add(0 if last == 0 else "any" if v == "any" else last * v)
            return period, values
    raise AssertionError("some cycle always fits")


@pytest.mark.parametrize(
    "level,seeds,per_seed", [(1, 50, 60), (2, 50, 60), (3, 20, 30), (4, 20, 30), (5, 20, 30)]
)
def test_numeric_answer_is_the_one_value_the_shortest_cycle_allows(level, seeds, per_seed):
    k = 5 + level
    for seed in range(seeds):
        task = create_task("induction", level=level, seed=seed)
        for i in range(per_seed):
            p = task.problem(i)
            terms = [int(t) for t in shown_terms(p.question)]
            assert k + 2 <= len(terms) <= k + 6
            assert terms[0] in range(1, 6)
            assert next_values(terms) == (k, {int(p.answer)}), p.id
            assert task.check(p, p.answer) and not task.check(p, str(int(p.answer) + 1))


def test_numeric_rule_is_the_papers():
    task = create_task("induction", level=3, seed=4)
    for i in range(300):
        m = task.problem(i).metadata
        assert m["cycle"] == 8 and len(m["ops"]) == 8
        for sign, v in m["ops"]:
            assert sign in ("+", "-", "*") and v in (range(1, 5) if sign in "+-" else range(2, 5))
        terms = m["terms"]
        for j in range(len(terms) - 1):
            sign, v = m["ops"][j % 8]
            assert terms[j + 1] == {"+": terms[j] + v, "-": terms[j] - v, "*": terms[j] * v}[sign]


@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_symbolic_answer_is_the_letter_the_shortest_period_gives(level):
    k = level + 2
    task = create_task("induction", level=level, kind="symbolic", seed=level)
    for i in range(600):
        p = task.problem(i)
        shown = shown_terms(p.question)
        assert 2 * k <= len(shown) <= 3 * k - 1 and all(re.fullmatch("[A-Z]", s) for s in shown)
        period = next(q for q in range(1, len(shown)) if all(a == b for a, b in zip(shown, shown[q:])))
        assert period == k and p.answer == shown[len(shown) - k]
        assert task.check(p, p.answer.lower()) and task.check(p, f" '{p.answer}' ")
        assert not task.check(p, "Z" if p.answer != "Z" else "Y")


def test_problems_depend_only_on_seed_and_index():
    for kind in ("numeric", "symbolic"):
        a, b = create_task("induction", kind=kind, level=2), create_task("induction", kind=kind, level=2)
        assert a.problem(9) == b.problem(9) and a.problem(9) != a.problem(10)
        other = create_task("induction", kind=kind, level=2, seed=5)
        assert sum(other.problem(i).question != a.problem(i).question for i in range(50)) >= 45


def test_the_paper_prompt_and_answer_format():
    p = create_task("induction", level=1).problem(0)
    assert "please give the value at the question mark within <answer>...</answer>" in p.question
    assert re.search(
        r"Given the following sequence,\n\['\d+', .*'\?'\]\nWhat is the value at the question mark\?$",
        p.question,
    )
    assert re.fullmatch(r"-?\d+", p.answer)
    bare = create_task("induction", level=1, instructions=False).problem(0)
    assert bare.question.startswith("Given the following sequence,") and bare.answer == p.answer


def test_check_parses_as_the_paper_does():
    task = create_task("induction", level=2)
    p = task.problem(3)
    assert task.check(p, f"  {p.answer} \n")
    assert task.parse_answer(p, f"{p.answer}.0") is None and task.parse_answer(p, "x = 3") is None
    assert task.parse_answer(p, str(int(p.answer) - 1)) == int(p.answer) - 1
    assert not task.check(p, None)
    assert task.extract_answer(f"think</think>\n<answer> {p.answer} </answer>") == p.answer


@pytest.mark.parametrize("kind", ["numeric", "symbolic"])
def test_reference_steps_work_each_step_and_reach_the_answer(kind):
    task = create_task("induction", level=2, kind=kind)
    for i in range(300):
        p = task.problem(i)
        steps = task.reference_steps(p)
        assert steps[-1].endswith(f"{p.answer}.") and all("\n\n" not in s for s in steps)
        if kind == "numeric":
            terms = p.metadata["terms"]
            for j, step in enumerate(steps[:-2]):  # "3-2=1", "-1*3=-3": each true, on the shown terms
                a, sign, v, result = re.fullmatch(r"(-?\d+)([+\-*])(\d+)=(-?\d+)", step).groups()
                assert int(a) == terms[j] and int(result) == terms[j + 1]
                assert int(result) == {"+": int(a) + int(v), "-": int(a) - int(v), "*": int(a) * int(v)}[sign]
        text = "\n\n".join(steps) + "\n</think>\n\n" + task.reference_solution(p)
        assert task.score(p, text) == 1.0


def test_testbed_tokenizer_encodes_every_character():
    from reasonlab.testbed.tokenizer import build_tokenizer

    tok = build_tokenizer()
    for kind in ("numeric", "symbolic"):
        task = create_task("induction", kind=kind, level=5)
        for p in task.problems(20):
            text = p.question + "\n\n".join(task.reference_steps(p)) + task.reference_solution(p)
            assert tok.unk_token_id not in tok.encode(text, add_special_tokens=False)


def test_max_abs_caps_the_terms():
    task = create_task("induction", level=5, max_abs=1000)
    assert all(max(abs(t) for t in task.problem(i).metadata["terms"]) <= 1000 for i in range(100))


@pytest.mark.parametrize(
    "options,message",
    [
        ({"level": 0}, r"^task 'induction': level must be 1 to 5, got 0$"),
        ({"level": 6}, r"^task 'induction': level must be 1 to 5, got 6$"),
        ({"kind": "shapes"}, "kind must be numeric or symbolic"),
        ({"min_terms": 7}, r"need 8 <= min_terms <= max_terms for a cycle of 6"),
        ({"max_abs": 2}, "max_abs must be >= 5"),
    ],
)
def test_bad_config_is_a_one_line_error(options, message):
    with pytest.raises(ReasonlabError, match=message) as err:
        create_task("induction", **options)
    assert "\n" not in str(err.value)
