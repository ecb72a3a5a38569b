"""The meta-ability tasks' answer format: reason in <think> tags, answer in <answer> tags.

The three meta-ability generators (deduction, induction, abduction; arXiv 2505.10554) share the
paper's prompt and its answer extraction, so they share this module: the instruction text, the
last-<answer>-block extraction, the tag-structure test the paper's format reward applies, and a
`Task` base whose `check` compares *parsed* answers (the paper's checkers tolerate case, spacing,
numbering and order of the "(1) A is True" lines, nothing else).
"""

from __future__ import annotations

import re
from abc import abstractmethod
from typing import Any

from reasonlab.tasks.base import GeneratedTask, Problem
from reasonlab.tasks.extract import solution_part

OPEN_THINK, CLOSE_THINK = "<think>", "</think>"
OPEN_ANSWER, CLOSE_ANSWER = "<answer>", "</answer>"

# The paper's system prompt (its released training data), less "You are a helpful assistant.",
# since here it opens the user message: a task's question is the user message.
TAG_INSTRUCTIONS = (
    "The assistant first thinks about the reasoning process in the mind and then provides the user "
    "with the final answer. The reasoning process and answer are enclosed within <think> </think> and "
    "<answer> </answer> tags, respectively, i.e. <think> reasoning process </think><answer> final "
    "answer </answer>."
)

_ANSWER_BLOCK = re.compile(re.escape(OPEN_ANSWER) + r"(.*?)" + re.escape(CLOSE_ANSWER), re.DOTALL)


def paper_question(task_instructions: str, puzzle: str, instructions: bool = True) -> str:
    """The paper's prompt as one user message: tag instructions, the task's own request, the puzzle.
    `instructions=False` gives the bare puzzle (short prompts for small testbed models)."""
    if not instructions:
        return puzzle
    return f"{TAG_INSTRUCTIONS}\n{task_instructions}\n\n{puzzle}"


def answer_block(text: str) -> str | None:
    """Content of the last <answer>...</answer> block, stripped; None when there is none (as the
    paper's `extract_solution`: the last match of `<answer>(.*?)</answer>`)."""
    matches = _ANSWER_BLOCK.findall(text)
    return matches[-1].strip() if matches else None


def tags_well_formed(
    completion: str,
    prompt_opens_think: bool = True,
    open_think: str = OPEN_THINK,
    close_think: str = CLOSE_THINK,
) -> bool:
    """The paper's structure test: exactly one of each of <think>, </think>, <answer>, </answer>, in
    that order. The paper counts over the prompt's last "<think>" plus the response, since its
    template opens the thinking (as the testbed's and R1-Distill's do): `prompt_opens_think=True`
    counts that opening tag as present before the completion."""
    text = (open_think if prompt_opens_think else "") + completion
    tags = (open_think, close_think, OPEN_ANSWER, CLOSE_ANSWER)
    if any(text.count(tag) != 1 for tag in tags):
        return False
    positions = [text.find(tag) for tag in tags]
    return positions == sorted(positions)


class TaggedAnswerTask(GeneratedTask):
    """A task answered in an <answer> block and graded on the parsed answer.

    Subclasses say how an answer parses (`parse_answer`: a comparable value, or None when the text
    states no well-formed answer); the answer reward tells "parsed but wrong" from "unparseable"
    with it, as the paper's reward does."""

    def extract_answer(self, completion: str, close_marker: str | None = CLOSE_THINK) -> str | None:
        """The last <answer> block after the thinking (an answer written while thinking does not count
        once the thinking is closed)."""
        return answer_block(solution_part(completion, close_marker))

    @abstractmethod
    def parse_answer(self, problem: Problem, text: str) -> Any | None:
        """The answer `text` states for `problem`, normalized for comparison; None if unparseable."""

    def check(self, problem: Problem, answer: str | None) -> bool:
        if answer is None:
            return False
        got = self.parse_answer(problem, answer)
        return got is not None and got == self.parse_answer(problem, problem.answer)

    def reference_solution(self, problem: Problem) -> str:
        """The answer part that follows the thinking."""
        return f"{OPEN_ANSWER}{problem.answer}{CLOSE_ANSWER}"


# "(1) A is True" lines: the statements the deduction and abduction answers are made of.
def parse_statements(
    text: str, names: list[str], values: tuple[str, ...], case_sensitive_names: bool = False
) -> dict[str, str] | None:
    """{name: value} from "(1) A is True\\n(2) B is False"-style text, or None, as the paper's
    checkers parse it: the text must hold exactly one "is <value>" per expected name, and each name
    must be stated (its first statement counts). Values compare case-insensitively; numbering,
    order, separators and spacing are free."""
    alternatives = "|".join(re.escape(v) for v in values)
    if len(re.findall(rf"\bis\s+(?:{alternatives})\b", text, re.IGNORECASE)) != len(names):
        return None
    out = {}
    name_flags = 0 if case_sensitive_names else re.IGNORECASE
    for name in names:
        m = re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}\s+is\s+({alternatives})\b", text, name_flags)
        if m is None:
            return None
        value = m.group(1).lower()
        out[name] = next(v for v in values if v.lower() == value)
    return out


def numbered_statements(pairs: list[tuple[str, str]]) -> str:
    """The canonical answer: "(1) A is True\\n(2) B is False" (the paper's solution_text)."""
    return "\n".join(f"({i}) {name} is {value}" for i, (name, value) in enumerate(pairs, 1))
