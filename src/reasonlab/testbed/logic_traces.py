"""Training traces for the meta-ability tasks (deduction, induction, abduction) on the testbed.

The paper's base model already reads these puzzles; the testbed's must be taught to. The trace is
the task's own reference solution, one block per step (forced values and retractions for deduction,
the operations for induction, forward chaining for abduction), and the answer follows the thinking
in the paper's <answer> block, so that the paper's format and answer rewards apply unchanged:

    C=False makes formula 4 false, so C=True.
    ...
    A=True, B=False, C=True, D=True makes every formula true.
    </think>\\n\\n<answer>(1) A is True\\n(2) B is False\\n...</answer>

No slips and no early closes: specialist RL is what the pipeline studies, so the base model should
make its own mistakes, not learned ones, and nothing here asks for an answer at a cut.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from reasonlab.tasks.answer_tags import CLOSE_ANSWER, OPEN_ANSWER
from reasonlab.tasks.base import Problem, Task
from reasonlab.testbed.traces import Piece


@dataclass(frozen=True)
class LogicTraceConfig:
    p_early_close: float = 0.0  # build_example's rate of traces closed at a random thinking token

    def pieces(self, problem: Problem, rng: random.Random, task: Task | None = None) -> list[Piece]:
        if task is None or not hasattr(task, "reference_steps"):
            raise TypeError("logic traces need the problem's task, one with reference_steps")
        return [Piece(step, belief=problem.answer) for step in task.reference_steps(problem)]

    def solution_text(self, answer: str) -> str:
        return f"{OPEN_ANSWER}{answer}{CLOSE_ANSWER}"

    def describe(self) -> str:
        return (
            "the task's reference solution, one step per block, then the answer in the paper's "
            "<answer> block; no slips, no early closes."
        )
