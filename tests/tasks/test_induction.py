"""induction: the masked term follows from the shown terms (the shortest fitting cycle, searched here
independently, has the level's length and one prediction), in the paper's shapes, with answers and
reference thinking that agree."""

import ast
import random
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


# source="released": the shapes of the paper's released training data (Training/dataset/Induction/
# <level>/train.parquet, 900 puzzles a level), kept well posed.


def fits(seq: list[int], period: int) -> bool:
    """Whether a cycle of `period` operations +d / *c (any integers) takes each term to the next."""
    for r in range(period):
        pairs = list(zip(seq[r:-1:period], seq[r + 1 :: period]))
        same_step = len({b - a for a, b in pairs}) == 1
        ratios = {Fraction(b, a) for a, b in pairs if a != 0}
        same_factor = all(b == 0 for a, b in pairs if a == 0) and (
            not ratios or (len(ratios) == 1 and ratios.pop().denominator == 1)
        )
        if not (same_step or same_factor):
            return False
    return True


def hole_fills(items: list[str]) -> tuple[int, set[int]]:
    """Brute force: the shortest period any integer at the "?" fits, and the integers that fit there.
    A fitting value is a neighbour moved by a step or factor seen elsewhere in the sequence, or free
    (then small numbers and multiples/divisors of a neighbour fit too): those are all tried."""
    q = items.index("?")
    seq = [None if x == "?" else int(x) for x in items]
    pairs = [(a, b) for a, b in zip(seq, seq[1:]) if a is not None and b is not None]
    steps = {b - a for a, b in pairs}
    factors = {Fraction(b, a) for a, b in pairs if a != 0}
    neighbours = [seq[j] for j in (q - 1, q + 1) if 0 <= j < len(seq)]
    candidates = set(range(-2, 3))
    for n in neighbours:
        candidates |= {n * m for m in range(-2, 3)} | {n + d for d in steps} | {n - d for d in steps}
        candidates |= {n * f for f in factors} | {Fraction(n) / f for f in factors if f != 0} | {-n}
    candidates = {int(x) for x in candidates if Fraction(x).denominator == 1}
    for period in range(1, len(seq)):
        ok = {x for x in candidates if fits(seq[:q] + [x] + seq[q + 1 :], period)}
        if ok:
            return period, ok
    raise AssertionError("some cycle always fits")


RELEASED_PERIODS = {1: {1, 2}, 2: {1, 2}, 3: {3}, 4: {4}, 5: {5}}
RELEASED_SHOWN = {1: (4, 7), 2: (5, 8), 3: (6, 10), 4: (6, 10), 5: (6, 10)}


@pytest.mark.parametrize(
    "level,seeds,per_seed", [(1, 60, 50), (2, 60, 50), (3, 30, 40), (4, 30, 40), (5, 30, 40)]
)
def test_released_answer_is_the_one_value_the_shortest_cycle_allows(level, seeds, per_seed):
    lo, hi = RELEASED_SHOWN[level]
    for seed in range(seeds):
        task = create_task("induction", source="released", level=level, seed=seed)
        for i in range(per_seed):
            p = task.problem(i)
            line = next(line for line in p.question.splitlines() if line.startswith("["))
            items = ast.literal_eval(line)
            q = items.index("?")
            assert items.count("?") == 1 and lo <= len(items) - 1 <= hi
            assert q == len(items) - 1 or (level == 2 and 0 < q < len(items) - 1), p.id
            period = hole_fills(items)
            assert period == (p.metadata["cycle"], {int(p.answer)}) and period[0] in RELEASED_PERIODS[level]
            terms, ops = p.metadata["terms"], p.metadata["ops"]
            assert [str(t) for j, t in enumerate(terms) if j != q] == [x for x in items if x != "?"]
            for j in range(len(terms) - 1):  # the whole sequence, hidden term included, follows the rule
                sign, v = ops[j % len(ops)]
                assert terms[j + 1] == {"+": terms[j] + v, "-": terms[j] - v, "*": terms[j] * v}[sign]
            assert task.check(p, p.answer) and not task.check(p, str(int(p.answer) + 1))


def test_released_shares_are_the_released_datas():
    """Measured in the released data: level 1 has period 1 in 612 of 900 puzzles, level 2 masks an
    inner term in 346 and has period 1 in 414; numbers shown and starts as listed."""
    seen: dict[int, list] = {level: [] for level in range(1, 6)}
    for level in range(1, 6):
        for seed in range(20):
            task = create_task("induction", source="released", level=level, seed=seed)
            seen[level] += [task.problem(i).metadata for i in range(100)]
    for level, metas in seen.items():
        shown = {len(m["terms"]) - 1 for m in metas}
        assert shown == set(range(RELEASED_SHOWN[level][0], RELEASED_SHOWN[level][1] + 1))
        assert {m["terms"][0] for m in metas} == set(range(1, 11 if level == 1 else 6))
        if level >= 3:
            assert {m["cycle"] for m in metas} == {level}
            for m in metas:
                assert all(
                    s in "+-*" and v in (range(1, 5) if s in "+-" else range(2, 5)) for s, v in m["ops"]
                )

    def share(level: int, test) -> float:
        return sum(map(test, seen[level])) / len(seen[level])

    assert share(1, lambda m: m["cycle"] == 1) == pytest.approx(612 / 900, abs=0.03)
    assert share(1, lambda m: m["mask"] < len(m["terms"]) - 1) == 0
    assert share(2, lambda m: m["mask"] < len(m["terms"]) - 1) == pytest.approx(346 / 900, abs=0.03)
    assert share(2, lambda m: m["cycle"] == 1) == pytest.approx(414 / 900, abs=0.03)
    assert {len(m["terms"]) - 1 for m in seen[2] if m["mask"] < len(m["terms"]) - 1} == {5, 6, 7}


def test_released_reference_steps_work_the_shown_steps_and_reach_the_answer():
    task = create_task("induction", source="released", level=2, seed=1)
    inner = 0
    for i in range(300):
        p = task.problem(i)
        steps = task.reference_steps(p)
        terms, q = p.metadata["terms"], p.metadata["mask"]
        assert steps[-1].endswith(f"{p.answer}.") and all("\n\n" not in s for s in steps)
        used = [j for j in range(len(terms) - 1) if j not in (q - 1, q)]  # steps between shown terms
        for j, step in zip(used, steps, strict=False):  # "3-2=1": each true, on the shown terms
            a, sign, v, result = re.fullmatch(r"(-?\d+)([+\-*])(\d+)=(-?\d+)", step).groups()
            assert int(a) == terms[j] and int(result) == terms[j + 1]
            assert int(result) == {"+": int(a) + int(v), "-": int(a) - int(v), "*": int(a) * int(v)}[sign]
        assert steps[len(used)].startswith("The operations repeat every")
        if q < len(terms) - 1:  # worked out from the term before, checked against the term after
            inner += 1
            assert re.search(rf": {terms[q - 1]}[+\-*]\d+={p.answer}\.$", steps[-3])
            assert re.search(rf": {p.answer}[+\-*]\d+={terms[q + 1]}\.$", steps[-2])
        text = "\n\n".join(steps) + "\n</think>\n\n" + task.reference_solution(p)
        assert task.score(p, text) == 1.0
    assert inner > 60


def test_hole_values_finds_an_inner_or_last_hole():
    from reasonlab.tasks.induction import hole_values, predictions

    assert hole_values([2, None, 6, 8]) == (1, {4})
    assert hole_values([3, None, 3, 1, 3]) == (2, {1})  # 3, 1 alternate: the step into it is -2
    assert hole_values([1, 2, 4, None]) == (1, {8})
    assert hole_values([5, 7, None, 2]) == (2, {0})  # one +2 would give 9, 11; a 2-cycle: +2, ?, +2
    assert hole_values([1, None, 4]) == (1, {None})  # nothing pins the steps around it
    rng = random.Random(0)
    for _ in range(3000):  # at the end, the hole takes the shortest rule's prediction
        terms = [rng.randint(-6, 6) for _ in range(rng.randint(3, 8))]
        period, values = predictions(terms)
        assert hole_values([*terms, None]) == (period, {None} if None in values else values)


@pytest.mark.parametrize(
    "options,message",
    [
        ({"source": "paper"}, "source must be generator or released, got 'paper'"),
        ({"source": "released", "kind": "symbolic"}, "source=released is numeric only"),
        ({"source": "released", "cycle": 3}, "cycle, min_terms and max_terms apply to source=generator only"),
    ],
)
def test_bad_source_is_a_one_line_error(options, message):
    with pytest.raises(ReasonlabError, match=message) as err:
        create_task("induction", **options)
    assert "\n" not in str(err.value)
