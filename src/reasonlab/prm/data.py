"""Step-labelled data for training process reward models, without humans.

Policies (the testbed draft and target) answer problems at a temperature that makes both right and
wrong steps occur; each completion is cut into steps at the delimiter the PRM will score at
("\\n\\n", as the draft writes its steps in RSD), and each step gets an exact label: on the testbed's
arith traces, testbed/step_labels.py checks every line in context (the step that closes the
thinking is labelled by its thinking line, the steps of the answer after it by the final answer);
on other tasks, Math-Shepherd's Monte-Carlo labels (MonteCarloLabels) say whether some rollout from
the step still reaches the right answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from reasonlab.core.errors import ReasonlabError
from reasonlab.core.jsonl import jsonl_rows
from reasonlab.rewards.base import STEP_DELIMITER as DELIMITER
from reasonlab.rewards.base import split_steps
from reasonlab.tasks.base import Problem, Task


@dataclass
class StepSample:
    """One completion, cut into steps, each labelled right (True) or wrong."""

    problem_id: str
    question: str
    steps: list[str]
    labels: list[bool]
    source: str  # the policy that wrote it
    correct: bool  # the final answer

    def __post_init__(self) -> None:
        if len(self.steps) != len(self.labels):
            raise ValueError(f"{len(self.steps)} steps for {len(self.labels)} labels")


def label_testbed_steps(task: Task, problem: Problem, steps: Sequence[str], close: str) -> list[bool]:
    """Exact labels of a testbed completion's steps: thinking lines in context (step_labels.py),
    and every step after the close marker by whether the final answer is right."""
    from reasonlab.testbed.step_labels import label_lines

    thinking, closed_at = [], None
    for i, step in enumerate(steps):
        if close in step:
            thinking.append(step.split(close)[0].strip())
            closed_at = i
            break
        thinking.append(step.strip())
    right = bool(task.score(problem, DELIMITER.join(steps), close))
    line_labels = label_lines(problem, [t for t in thinking if t])
    labels, k = [], 0
    for t in thinking:  # a step that is only the close marker is judged by the answer
        if t:
            labels.append(line_labels[k])
            k += 1
        else:
            labels.append(right)
    if closed_at is not None:
        labels += [right] * (len(steps) - closed_at - 1)
    return labels


class MonteCarloLabels:
    """Math-Shepherd's labels, for tasks whose steps cannot be checked: a step is right when at
    least one of `rollouts` continuations from the solution up to it (sampled by `engine`) reaches
    the right answer ("hard estimation"). Steps at or after the close marker take the final
    answer's label: nothing is left to roll out."""

    def __init__(self, engine, think, rollouts: int, max_tokens: int, temperature: float, seed: int):
        self.engine, self.think = engine, think
        self.rollouts, self.max_tokens, self.temperature, self.seed = rollouts, max_tokens, temperature, seed

    def __call__(self, task: Task, problem: Problem, steps: Sequence[str], close: str) -> list[bool]:
        from reasonlab.core.seeds import derive_seed
        from reasonlab.engines.base import SamplingParams
        from reasonlab.models.loading import chat_prompt_ids

        tok = self.engine.tokenizer
        prompt = chat_prompt_ids(tok, problem.question, None, self.think)
        final = bool(task.score(problem, DELIMITER.join(steps), close))
        open_steps = next((i for i, s in enumerate(steps) if close in s), len(steps))
        prefixes = [
            prompt + tok.encode(DELIMITER.join(steps[: i + 1]) + DELIMITER, add_special_tokens=False)
            for i in range(open_steps)
        ]
        params = [
            SamplingParams(
                n=self.rollouts,
                temperature=self.temperature,
                max_tokens=self.max_tokens,
                seed=derive_seed(self.seed, "mc", problem.id, i),
            )
            for i in range(len(prefixes))
        ]
        labels = []
        for i, request in enumerate(self.engine.generate(prefixes, params) if prefixes else []):
            done = DELIMITER.join(steps[: i + 1]) + DELIMITER
            labels.append(any(task.score(problem, done + o.text, close) for o in request.outputs))
        return labels + [final] * (len(steps) - open_steps)


class StepSampler:
    """A policy that writes solutions, cut into labelled steps (`label` knows the task's steps)."""

    def __init__(
        self,
        model: str,
        task: Task,
        label: Callable[[Task, Problem, Sequence[str], str], list[bool]] | None = None,
        rollouts: int = 4,
        rollout_max_tokens: int = 512,
        seed: int = 0,
    ):
        """`label` None: Monte-Carlo labels (MonteCarloLabels, `rollouts` continuations per step by
        this same policy at temperature 1.0)."""
        from reasonlab.engines.hf import HFEngine
        from reasonlab.models.think import detect_think_format

        self.model, self.task = model, task
        self.engine = HFEngine.from_pretrained(model)
        self.think = detect_think_format(self.engine.tokenizer, model_name=model)
        self.think.require("labelling steps (the close marker splits thinking from the answer)")
        self.label = label or MonteCarloLabels(
            self.engine, self.think, rollouts, rollout_max_tokens, 1.0, seed
        )

    def sample(
        self, problems: Sequence[Problem], n: int, temperature: float, max_tokens: int, seed: int
    ) -> list[list[StepSample]]:
        """n solutions of each problem, cut into steps and labelled, decoded as one batch. Each
        problem's seed is derived from the seed and its id, and the engine draws each request from
        its own generator, so a problem's solutions do not depend on its batch-mates."""
        from reasonlab.core.seeds import derive_seed
        from reasonlab.engines.base import SamplingParams
        from reasonlab.models.loading import chat_prompt_ids

        tok, close = self.engine.tokenizer, self.think.close_text
        prompts = [chat_prompt_ids(tok, p.question, None, self.think) for p in problems]
        params = [
            SamplingParams(
                n=n,
                temperature=temperature,
                max_tokens=max_tokens,
                seed=derive_seed(seed, "prm", self.model, p.id),
            )
            for p in problems
        ]
        batches = []
        for problem, request in zip(problems, self.engine.generate(prompts, params)):
            out = []
            for output in request.outputs:
                steps = split_steps(output.text)
                if steps:
                    labels = self.label(self.task, problem, steps, close)
                    correct = bool(self.task.score(problem, output.text, close))
                    out.append(StepSample(problem.id, problem.question, steps, labels, self.model, correct))
            batches.append(out)
        return batches


def as_outcome(sample: StepSample, delimiter: str = DELIMITER) -> StepSample:
    """The sample as an outcome reward model sees it: the whole solution one step, labelled by its
    final answer (scored at its end, where the PRM scores its last step)."""
    return StepSample(
        sample.problem_id,
        sample.question,
        [delimiter.join(sample.steps)],
        [sample.correct],
        sample.source,
        sample.correct,
    )


def question_negatives(samples: Sequence[StepSample], share: float, seed: int) -> list[StepSample]:
    """round(share x len) solutions paired with another problem's question, every step labelled
    wrong: a PRM trained on them has to read the question (the probe's question shuffle)."""
    import random

    rng = random.Random(f"negatives:{seed}")
    count = round(share * len(samples))
    problems = sorted({(s.problem_id, s.question) for s in samples})
    if count == 0 or len(problems) < 2:
        return []
    out = []
    for sample in rng.sample(list(samples), min(count, len(samples))):
        pid, question = rng.choice([p for p in problems if p[0] != sample.problem_id])
        out.append(
            StepSample(pid, question, list(sample.steps), [False] * len(sample.steps), sample.source, False)
        )
    return out


def write_samples(path: Path, samples: Sequence[StepSample]) -> None:
    from reasonlab.core.runs import write_atomic

    write_atomic(path, "".join(json.dumps(asdict(s)) + "\n" for s in samples))


def read_samples(path: str | Path) -> list[StepSample]:
    """A JSONL file of step samples; a bad line is a one-line error naming the file and line."""
    out = []
    for where, _, row in jsonl_rows(path, "PRM data not found"):
        try:
            out.append(StepSample(**row))
        except (TypeError, ValueError) as e:
            raise ReasonlabError(f"{where}: not a step sample ({e})") from None
    if not out:
        raise ReasonlabError(f"{path} holds no step samples")
    return out
