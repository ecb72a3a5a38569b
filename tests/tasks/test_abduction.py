"""abduction: exactly one goal is reachable (forward chaining written here from the question's text,
and entailment by a SAT solver), in the paper's shapes, with answers and reference thinking that agree."""

import ast
import re

import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.tasks import create_task

DEPTHS = {1: (2, 3), 2: (3, 4), 3: (4, 5), 4: (5, 6), 5: (6, 7)}
GOALS = {1: 2, 2: 2, 3: 2, 4: 3, 5: 3}  # level 1: 2, not the note's 1 (one goal is always the answer)
DISTRACTORS = {1: (3, 5), 2: (5, 7), 3: (7, 9), 4: (8, 10), 5: (10, 12)}


def read(question: str):
    fields = {}
    for line in question.splitlines():
        for key in ("premises", "known_atoms", "goals"):
            if line.startswith(f"{key}: "):
                fields[key] = ast.literal_eval(line[len(key) + 2 :])
    return fields["premises"], fields["known_atoms"], fields["goals"]


def parse_body(text: str):
    tokens = re.findall(r"\(|\)|AND|OR|[A-Z]+", text)
    tokens.reverse()

    def expr():
        tok = tokens.pop()
        if tok != "(":
            return tok
        left = expr()
        if tokens[-1] == ")":
            tokens.pop()
            return left
        op = tokens.pop()
        right = expr()
        assert tokens.pop() == ")"
        return (op, left, right)

    tree = expr()
    assert not tokens
    return tree


def rules_of(premises: list[str]):
    out = []
    for premise in premises:
        body, head = premise.rsplit(" => ", 1)
        assert re.fullmatch(r"[A-Z]{1,2}", head)
        out.append((parse_body(body), head))
    return out


def true_under(tree, facts) -> bool:
    if isinstance(tree, str):
        return tree in facts
    op, a, b = tree
    return (
        (true_under(a, facts) and true_under(b, facts))
        if op == "AND"
        else (true_under(a, facts) or true_under(b, facts))
    )


def derivation_rounds(rules, known) -> dict[str, int]:
    """Naive fixpoint: in round r, every rule whose body holds on what rounds < r derived fires."""
    rounds = dict.fromkeys(known, 0)
    r = 0
    changed = True
    while changed:
        r += 1
        facts = set(rounds)
        fired = [head for body, head in rules if head not in facts and true_under(body, facts)]
        changed = bool(fired)
        for head in fired:
            rounds.setdefault(head, r)
    return rounds


def statuses(answer: str) -> dict[str, str]:
    return dict(re.findall(r"\(\d+\) ([A-Z]+) is (reachable|unreachable)", answer))


@pytest.mark.parametrize(
    "level,seeds,per_seed", [(1, 40, 60), (2, 40, 60), (3, 10, 50), (4, 10, 40), (5, 10, 30)]
)
def test_exactly_one_goal_is_reachable_and_the_answer_says_which(level, seeds, per_seed):
    for seed in range(seeds):
        task = create_task("abduction", level=level, seed=seed)
        for i in range(per_seed):
            p = task.problem(i)
            premises, known, goals = read(p.question)
            rules = rules_of(premises)
            rounds = derivation_rounds(rules, known)
            reachable = [g for g in goals if g in rounds]
            assert len(reachable) == 1, p.id
            assert statuses(p.answer) == {g: "reachable" if g in rounds else "unreachable" for g in goals}
            assert list(statuses(p.answer)) == goals  # in the question's order
            # Shapes: the reachable goal takes exactly the chain's depth; no goal is simply known; every
            # goal is some rule's conclusion (an unreachable one is not trivially so).
            lo, hi = DEPTHS[level]
            assert lo <= rounds[reachable[0]] <= hi and rounds[reachable[0]] == p.metadata["chain_depth"]
            assert len(goals) == GOALS[level] and not set(goals) & set(known)
            assert set(goals) <= {head for _, head in rules}
            m = p.metadata
            assert DISTRACTORS[level][0] <= m["distractor_rules"] <= DISTRACTORS[level][1]
            assert len(premises) == m["chain_rules"] + m["cycle_rules"] + m["distractor_rules"]
            assert len(set(premises)) == len(premises)
            assert task.check(p, p.answer)


@pytest.mark.parametrize("level", [2, 5])
def test_reachable_is_what_the_premises_entail(level):
    """A SAT solver: goal g is entailed iff premises + known atoms + (not g) is unsatisfiable."""
    from pysat.formula import And, Atom, Formula, Implies, Neg, Or
    from pysat.solvers import Solver

    def build(tree):
        if isinstance(tree, str):
            return Atom(tree)
        return (And if tree[0] == "AND" else Or)(build(tree[1]), build(tree[2]))

    task = create_task("abduction", level=level, seed=11)
    for i in range(40):
        p = task.problem(i)
        premises, known, goals = read(p.question)
        base = [Implies(build(body), Atom(head)) for body, head in rules_of(premises)] + [
            Atom(a) for a in known
        ]
        entailed = {}
        for g in goals:
            with Solver(bootstrap_with=And(*base, Neg(Atom(g)))) as solver:
                entailed[g] = not solver.solve()
        Formula.cleanup()
        assert sum(entailed.values()) == 1
        assert statuses(p.answer) == {g: "reachable" if entailed[g] else "unreachable" for g in goals}


def test_higher_levels_have_cycles_and_or_branches():
    task = create_task("abduction", level=5, seed=1)
    problems = task.problems(200)
    low = create_task("abduction", level=1, seed=1).problems(200)
    assert (
        sum(p.metadata["cycle_rules"] for p in low)
        < 60
        < 400
        < sum(p.metadata["cycle_rules"] for p in problems)
    )
    assert any(" OR " in premise for p in problems for premise in read(p.question)[0])


def test_goals_option_overrides_the_level():
    task = create_task("abduction", level=1, goals=3)
    for p in task.problems(100):
        assert len(read(p.question)[2]) == 3 and list(statuses(p.answer).values()).count("reachable") == 1


def test_problems_depend_only_on_seed_and_index():
    a, b = create_task("abduction", level=2), create_task("abduction", level=2)
    assert a.problem(3) == b.problem(3) and a.problem(3) != a.problem(4)
    other = create_task("abduction", level=2, seed=9)
    assert sum(other.problem(i).question != a.problem(i).question for i in range(50)) == 50


def test_the_paper_prompt_and_answer_format():
    p = create_task("abduction", level=2).problem(0)
    assert "please list the reachable judgement of each goal within <answer>...</answer>" in p.question
    assert re.search(
        r"premises: \['.* => [A-Z]+'.*\]\nknown_atoms: \[.*\]\ngoals: \[.*\]\nFor each goal", p.question
    )
    assert re.fullmatch(r"\(1\) [A-Z]+ is (un)?reachable\n\(2\) [A-Z]+ is (un)?reachable", p.answer)
    bare = create_task("abduction", level=2, instructions=False).problem(0)
    assert bare.question.startswith("premises: [") and bare.question.endswith(f"goals: {p.metadata['goals']}")
    assert bare.answer == p.answer


def test_check_tolerates_order_case_and_spacing_only():
    task = create_task("abduction", level=4)
    p = task.problem(2)
    lines = p.answer.splitlines()
    assert task.check(p, "  ".join(reversed(lines)).lower())
    flipped = (
        p.answer.replace("unreachable", "X").replace("reachable", "unreachable").replace("X", "reachable")
    )
    assert task.parse_answer(p, flipped) is not None and not task.check(p, flipped)
    assert task.parse_answer(p, "\n".join(lines[1:])) is None  # a goal left out
    assert task.parse_answer(p, p.answer + "\n(4) Q is reachable") is None


def test_reference_steps_replay_to_the_answer():
    for level in (1, 3, 5):
        task = create_task("abduction", level=level, seed=4)
        for p in task.problems(100):
            premises, known, goals = read(p.question)
            steps = task.reference_steps(p)
            assert steps[0] == f"Known: {', '.join(known)}."
            facts = set(known)
            rules = dict(zip(premises, rules_of(premises)))
            for step in steps[1:-1]:
                premise, head = re.fullmatch(r"(.*) gives ([A-Z]+)\.", step).groups()
                body, concluded = rules[premise]
                assert concluded == head and head not in facts and true_under(body, facts)
                facts.add(head)
            assert facts == set(derivation_rounds(list(rules.values()), known))
            verdicts = dict(re.findall(r"([A-Z]+) is (reachable|unreachable)", steps[-1]))
            assert verdicts == statuses(p.answer)
            text = "\n\n".join(steps) + "\n</think>\n\n" + task.reference_solution(p)
            assert task.score(p, text) == 1.0


def test_testbed_tokenizer_encodes_every_character():
    from reasonlab.testbed.tokenizer import build_tokenizer

    tok = build_tokenizer()
    task = create_task("abduction", level=5)
    for p in task.problems(20):
        text = p.question + "\n\n".join(task.reference_steps(p)) + task.reference_solution(p)
        assert tok.unk_token_id not in tok.encode(text, add_special_tokens=False)


@pytest.mark.parametrize(
    "options,message",
    [
        ({"level": 0}, r"^task 'abduction': level must be 1 to 5, got 0$"),
        ({"level": 6}, r"^task 'abduction': level must be 1 to 5, got 6$"),
        ({"goals": 0}, "goals must be 1 to 10"),
    ],
)
def test_bad_config_is_a_one_line_error(options, message):
    with pytest.raises(ReasonlabError, match=message) as err:
        create_task("abduction", **options)
    assert "\n" not in str(err.value)
