"""The reward protocol, and the TRL-style call every reward gets from `RewardFunction`.

A reward scores a whole completion (`score`) and, for process rewards, each step of one (`score_steps`:
one float per step, the steps as the caller split them). RL, RSD, the probe and meta-ability training
all take a `Reward`, so a PRM and a verifier plug into the same places. Called as a function, a
reward behaves like a TRL reward function: `reward(prompts, completions, problem=[...])` returns one
float (or None, for a sample it cannot score) per completion.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from reasonlab.tasks.base import Problem


@runtime_checkable
class Reward(Protocol):
    name: str

    def score(self, problem: Problem, completion: str) -> float: ...

    def score_steps(self, problem: Problem, steps: Sequence[str]) -> list[float]: ...


class RewardFunction:
    """Mixin: TRL's reward-function call on top of `score`. The problems come in the `problem`
    column (TRL passes dataset columns as keyword lists); prompts are accepted and not used, since
    the problem carries the question."""

    name = "reward"

    def score(self, problem: Problem, completion: str) -> float:
        raise NotImplementedError

    def __call__(
        self,
        prompts: Sequence[Any],
        completions: Sequence[str],
        problem: Sequence[Problem] | None = None,
        **columns,
    ) -> list[float | None]:
        if problem is None:
            raise TypeError(f"{self.name}: pass the problems as the `problem` column, one per completion")
        if len(problem) != len(completions):
            raise ValueError(f"{self.name}: {len(completions)} completions for {len(problem)} problems")
        return [self.score(p, c) for p, c in zip(problem, completions)]


STEP_DELIMITER = "\n\n"  # where a solution's steps end, as reasoning models write them


def split_steps(text: str, delimiter: str = STEP_DELIMITER) -> list[str]:
    """The non-empty pieces between delimiters, as written (no stripping: a PRM reads them so)."""
    return [piece for piece in text.split(delimiter) if piece.strip()]


def outcome_steps(reward: Reward, problem: Problem, steps: Sequence[str], delimiter: str) -> list[float]:
    """Step scores of an outcome reward: it judges only the finished completion, so every step but the
    last gets 0 and the last gets the score of the steps joined (a sparse reward, as PPO places it)."""
    if not steps:
        return []
    return [0.0] * (len(steps) - 1) + [reward.score(problem, delimiter.join(steps))]
