"""The meta-ability paper's reward (arXiv 2505.10554): a tag-format score plus an answer score.

    format: +1 when the response holds exactly one <think>, </think>, <answer>, </answer>, in that
            order; -1 otherwise.
    answer: +2 when the parsed answer matches, -1.5 when it parses but is wrong, -2 when it does not
            parse (or there is no <answer> block).

As in the released reward code, the answer is scored only when the format passes: a malformed
response gets -2 for its answer whatever it says, so the total is -3, +3, -0.5 or -1 for a
well-formed one (`gate_on_format=False` scores the answer alone). "Parses" is the task's
`parse_answer` (a `TaggedAnswerTask`): the deduction answer must state every variable once, and so on.
"""

from __future__ import annotations

from collections.abc import Sequence

from reasonlab.rewards.base import RewardFunction, outcome_steps
from reasonlab.rewards.combine import WeightedSum
from reasonlab.tasks.answer_tags import CLOSE_THINK, OPEN_THINK, TaggedAnswerTask, tags_well_formed
from reasonlab.tasks.base import Problem, Task

FORMAT_RIGHT, FORMAT_WRONG = 1.0, -1.0
ANSWER_RIGHT, ANSWER_WRONG, ANSWER_UNPARSEABLE = 2.0, -1.5, -2.0


class TagFormatReward(RewardFunction):
    """+1 / -1 for the tag structure. The completion is the model's text after the prompt; when the
    prompt opens the thinking (the paper's ended in "<think>"; reasonlab's chat prompts open it for
    every model with thinking markers, Qwen3 included), that <think> counts: `prompt_opens_think=True`.
    A model without markers writes <think> itself: `prompt_opens_think=False`."""

    name = "tag_format"

    def __init__(
        self,
        prompt_opens_think: bool = True,
        open_think: str = OPEN_THINK,
        close_think: str = CLOSE_THINK,
        delimiter: str = "\n\n",
    ):
        self.prompt_opens_think, self.delimiter = prompt_opens_think, delimiter
        self.open_think, self.close_think = open_think, close_think

    def well_formed(self, completion: str) -> bool:
        return tags_well_formed(completion, self.prompt_opens_think, self.open_think, self.close_think)

    def score(self, problem: Problem, completion: str) -> float:
        return FORMAT_RIGHT if self.well_formed(completion) else FORMAT_WRONG

    def score_steps(self, problem: Problem, steps: Sequence[str]) -> list[float]:
        return outcome_steps(self, problem, steps, self.delimiter)


class TagAnswerReward(RewardFunction):
    """+2 / -1.5 / -2 for the answer in the last <answer> block after the thinking."""

    name = "tag_answer"

    def __init__(
        self,
        task: Task,
        gate_on_format: bool = True,
        prompt_opens_think: bool = True,
        open_think: str = OPEN_THINK,
        close_think: str = CLOSE_THINK,
        delimiter: str = "\n\n",
    ):
        if not isinstance(task, TaggedAnswerTask):
            raise TypeError(
                f"{self.name}: task {task.name!r} does not answer in <answer> tags "
                "(it is no TaggedAnswerTask)"
            )
        self.task, self.gate_on_format, self.delimiter = task, gate_on_format, delimiter
        self.format = TagFormatReward(prompt_opens_think, open_think, close_think, delimiter)

    def score(self, problem: Problem, completion: str) -> float:
        if self.gate_on_format and not self.format.well_formed(completion):
            return ANSWER_UNPARSEABLE
        text = self.task.extract_answer(completion, self.format.close_think)
        parsed = None if text is None else self.task.parse_answer(problem, text)
        if parsed is None:
            return ANSWER_UNPARSEABLE
        return ANSWER_RIGHT if parsed == self.task.parse_answer(problem, problem.answer) else ANSWER_WRONG

    def score_steps(self, problem: Problem, steps: Sequence[str]) -> list[float]:
        return outcome_steps(self, problem, steps, self.delimiter)


def tag_reward(task: Task, prompt_opens_think: bool = True, **kwargs) -> WeightedSum:
    """The paper's total reward: format + answer, from -3 to +3."""
    answer = TagAnswerReward(task, prompt_opens_think=prompt_opens_think, **kwargs)
    return WeightedSum([answer.format, answer], [1.0, 1.0])
