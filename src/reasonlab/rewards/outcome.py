"""Outcome rewards: the task's own verifier, and a format check."""

from __future__ import annotations

import re
from collections.abc import Sequence

from reasonlab.rewards.base import RewardFunction, outcome_steps
from reasonlab.tasks.base import Problem, Task
from reasonlab.tasks.extract import last_boxed, solution_part


class VerifierReward(RewardFunction):
    """The task's verifier: `correct` for a right final answer, `wrong` otherwise. RAFT++ and
    Reinforce-Rej use -1/+1 (`VerifierReward.signed(task)`): with 0/1, Reinforce-Rej's raw-reward
    advantage never pushes a wrong answer down. With a close marker, a completion that never closes
    its thinking (cut by the length cap) has no final answer and scores `wrong`, even if a \\boxed{}
    appears while it thinks; pass close_marker=None for models that do not think."""

    name = "verifier"

    def __init__(
        self,
        task: Task,
        correct: float = 1.0,
        wrong: float = 0.0,
        close_marker: str | None = "</think>",
        delimiter: str = "\n\n",
    ):
        self.task, self.correct, self.wrong = task, correct, wrong
        self.close_marker, self.delimiter = close_marker, delimiter

    @classmethod
    def signed(cls, task: Task, **kwargs) -> VerifierReward:
        return cls(task, correct=1.0, wrong=-1.0, **kwargs)

    def score(self, problem: Problem, completion: str) -> float:
        if self.close_marker is not None and self.close_marker not in completion:
            return self.wrong
        right = self.task.score(problem, completion, self.close_marker) > 0
        return self.correct if right else self.wrong

    def score_steps(self, problem: Problem, steps: Sequence[str]) -> list[float]:
        return outcome_steps(self, problem, steps, self.delimiter)


class FormatReward(RewardFunction):
    """1.0 when the completion closes its thinking exactly once and then gives one \\boxed{} answer,
    0.0 otherwise (DeepSeek-R1's format reward, on the model's own markers)."""

    name = "format"

    def __init__(self, close_marker: str = "</think>", delimiter: str = "\n\n"):
        self.close_marker, self.delimiter = close_marker, delimiter

    def score(self, problem: Problem, completion: str) -> float:
        if completion.count(self.close_marker) != 1:
            return 0.0
        solution = solution_part(completion, self.close_marker)
        boxes = len(re.findall(r"\\boxed\b|\\fbox\b", solution))
        return float(boxes == 1 and last_boxed(solution) is not None)

    def score_steps(self, problem: Problem, steps: Sequence[str]) -> list[float]:
        return outcome_steps(self, problem, steps, self.delimiter)
