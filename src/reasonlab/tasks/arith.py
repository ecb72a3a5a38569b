"""`arith`: left-to-right chains of arithmetic with a chain of thought whose every step checks alone.

Problem: "Compute 37+45*3-18 from left to right, modulo 100."
Thinking, one step per line block ("\\n\\n" between steps):

    37+45=82
    82*3=246 -> 46
    46-18=28

A step states its operands, the raw result and (when the modulus changes it) the reduced value, so
a verifier needs nothing but the step to check its arithmetic, and the problem to check that it is
the right step. Step-level methods (RSD, process reward models) rely on that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reasonlab.tasks.base import GeneratedTask, Problem, register_task
from reasonlab.tasks.grade import normalize_int

_STEP = re.compile(r"^(-?\d+)([+\-*])(\d+)=(-?\d+)(?: -> (\d+))?$")
_QUESTION = re.compile(r"Compute (\d+)((?:[+\-*]\d+)+) from left to right(?:, modulo (\d+))?\.")
_OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}


@dataclass(frozen=True)
class ArithConfig:
    """Difficulty knobs. Operands of + and - are in [1, operand_max], of * in [2, mul_max]."""

    steps: int = 4
    start_max: int = 99
    operand_max: int = 99
    mul_max: int = 9
    modulus: int | None = 100
    ops: str = "+-*"
    seed: int = 0
    size: int = 100_000

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps}")
        if self.operand_max < 1 or self.start_max < 0 or self.mul_max < 2:
            raise ValueError("need operand_max >= 1, start_max >= 0, mul_max >= 2")
        if self.modulus is not None and self.modulus < 2:
            raise ValueError(f"modulus must be >= 2 or None, got {self.modulus}")
        if not self.ops or set(self.ops) - set(_OPS):
            raise ValueError(f"ops must be a non-empty subset of '+-*', got {self.ops!r}")
        if self.size < 1:
            raise ValueError(f"size must be >= 1, got {self.size}")


def apply_op(a: int, op: str, b: int, modulus: int | None) -> tuple[int, int]:
    """(raw, reduced) result of one step."""
    raw = _OPS[op](a, b)
    return raw, raw % modulus if modulus else raw


def format_step(a: int, op: str, b: int, modulus: int | None) -> str:
    raw, reduced = apply_op(a, op, b, modulus)
    return f"{a}{op}{b}={raw}" + (f" -> {reduced}" if reduced != raw else "")


def parse_step(text: str) -> tuple[int, str, int, int, int] | None:
    """(a, op, b, raw, value) of a step line, or None if it is not a step."""
    m = _STEP.match(text.strip())
    if not m:
        return None
    a, op, b, raw, reduced = m.groups()
    return int(a), op, int(b), int(raw), int(reduced) if reduced is not None else int(raw)


def check_step(text: str, modulus: int | None) -> bool:
    """Whether a step's own arithmetic is right, with no context at all."""
    parsed = parse_step(text)
    if parsed is None:
        return False
    a, op, b, raw, value = parsed
    true_raw, true_value = apply_op(a, op, b, modulus)
    if raw != true_raw or value != true_value:
        return False
    # The reduction is written exactly when it changes the number.
    return ("->" in text) == (true_value != true_raw)


def _solved(problem_id: str, question: str, start: int, ops: list[list], modulus: int | None) -> Problem:
    """The problem of the chain start, ops (each [op, operand]) solved left to right."""
    value, values = start, []
    for op, b in ops:
        value = apply_op(value, op, b, modulus)[1]
        values.append(value)
    meta = {"start": start, "ops": ops, "values": values, "modulus": modulus}
    return Problem(id=problem_id, question=question, answer=str(value), metadata=meta)


@register_task("arith", ArithConfig)
class ArithTask(GeneratedTask):
    description = "Left-to-right arithmetic chains (+, -, * mod M) with step-checkable reasoning."

    def problem(self, i: int) -> Problem:
        c = self.cfg
        rng = self.stream(i)
        start, ops = rng.randint(0, c.start_max), []
        for _ in range(c.steps):
            op = rng.choice(c.ops)
            b = rng.randint(2, c.mul_max) if op == "*" else rng.randint(1, c.operand_max)
            ops.append([op, b])
        chain = f"{start}" + "".join(f"{op}{b}" for op, b in ops)
        mod_text = f", modulo {c.modulus}" if c.modulus else ""
        return _solved(
            f"arith-{c.seed}-{i}", f"Compute {chain} from left to right{mod_text}.", start, ops, c.modulus
        )

    def with_question(self, problem: Problem, question: str) -> Problem:
        """The chain read back from the question and solved, so an edited number changes the
        answer; a question that is not an arith chain keeps the old answer."""
        found = _QUESTION.fullmatch(question.strip())
        if not found:
            return super().with_question(problem, question)
        ops = [[op, int(b)] for op, b in re.findall(r"([+\-*])(\d+)", found.group(2))]
        modulus = int(found.group(3)) if found.group(3) else None
        return _solved(problem.id, question, int(found.group(1)), ops, modulus)

    def reference_steps(self, problem: Problem) -> list[str]:
        """The correct thinking, one string per step."""
        m = problem.metadata
        prev, steps = m["start"], []
        for (op, b), value in zip(m["ops"], m["values"]):
            steps.append(format_step(prev, op, b, m["modulus"]))
            prev = value
        return steps

    def reference_solution(self, problem: Problem) -> str:
        """The answer part that follows the thinking."""
        return f"The answer is \\boxed{{{problem.answer}}}."

    def check_steps(self, problem: Problem, steps: list[str]) -> list[bool]:
        """Per step: right arithmetic, and the right operation applied to the previous result."""
        m = problem.metadata
        prev, verdicts = m["start"], []
        for i, text in enumerate(steps):
            parsed = parse_step(text)
            ok = parsed is not None and i < len(m["ops"]) and check_step(text, m["modulus"])
            if ok:
                a, op, b, _, value = parsed
                ok = a == prev and [op, b] == list(m["ops"][i])
                prev = value
            verdicts.append(ok)
        return verdicts

    def equivalent(self, a: str, b: str) -> bool:
        x, y = normalize_int(a), normalize_int(b)
        return x == y if x is not None and y is not None else a.strip() == b.strip()

    def check(self, problem: Problem, answer: str | None) -> bool:
        got = normalize_int(answer)
        return got is not None and got == int(problem.answer)
