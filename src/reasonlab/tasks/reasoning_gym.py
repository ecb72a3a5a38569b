"""Any reasoning-gym dataset as a task: `--task rg:<name>` (e.g. rg:chain_sum, rg:knights_knaves).

Researchers already generate their training data with reasoning-gym, so its ~100 procedural
datasets plug in as they are: the dataset's own config dataclass holds the task options (`--set
min_terms=3`; lists as `--set operators=+,*`, dates as 2020-01-01), problem i is the dataset's item
i (reasoning-gym draws it from Random(seed + i), so a run is reproducible; a seed left unset is 0
here, not a random one), and the dataset's own `score_answer` grades it. reasoning-gym asks for the
answer in <answer> tags; a \\boxed{} answer, as reasonlab's models write it, is read too. The
library is an extra: pip install 'reasonlab[rg]'.

One option is reasonlab's: the questions are the dataset's own, which carry no answer format
(reasoning-gym puts its instruction in a system prompt), so `--set instructions=true` appends
reasoning-gym's default one (`reasoning_gym.utils.SYSTEM_PROMPTS["default"]`: think step by step,
answer in <answer> tags) to each question, for models that are not told otherwise.

Some datasets accept any valid solution and have no single answer (boxnet, graph_color,
propositional_logic, rubiks_cube, rush_hour: their entries' answer is None). Their Problem.answer
is the marker "(any valid solution)", which is what reports and `reasonlab tasks sample` show; it
is not itself a right answer. Grading uses the dataset's entry, so it stays right.

rg:composite mixes datasets given as a list of specs, which no --set value can give: it is built
only in Python, from a CompositeConfig.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any

from reasonlab.core.errors import ReasonlabError
from reasonlab.core.optional import require
from reasonlab.tasks.answer_tags import answer_block
from reasonlab.tasks.base import Problem, Task, register_namespace
from reasonlab.tasks.extract import last_boxed, solution_part

PREFIX = "rg:"
ANY_VALID = "(any valid solution)"  # Problem.answer of an item whose answer is None


@cache
def options_class(config_cls: type) -> type:
    """The dataset's config class plus reasonlab's `instructions` option (a subclass, so every field,
    default and check of the dataset's own stays)."""
    return dataclasses.make_dataclass(
        f"{config_cls.__name__}WithInstructions",
        [("instructions", bool, dataclasses.field(default=False))],
        bases=(config_cls,),
    )


class ReasoningGymTask(Task):
    """One reasoning-gym dataset (`dataset`, set by the subclass `resolve` makes)."""

    dataset: str = ""

    def __init__(self, cfg: Any = None):
        factory = require("reasoning_gym.factory", "rg", f"task {self.name}")
        dataset_cls, config_cls = factory.DATASETS[self.dataset]
        cfg = cfg or options_class(config_cls)()
        if getattr(cfg, "seed", 0) is None:
            cfg = dataclasses.replace(cfg, seed=0)
        if self.dataset == "composite" and not getattr(cfg, "datasets", None):
            raise ReasonlabError(
                f"task {self.name} needs a list of datasets (DatasetSpec), which --set cannot give: run "
                "each dataset as its own rg:<name> task, or build this one in Python from a CompositeConfig"
            )
        # The dataset gets a config of its own class (without reasonlab's option).
        own = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(config_cls) if f.init}
        try:
            self.data = dataset_cls(config=config_cls(**own) if type(cfg) is not config_cls else cfg)
        except (AssertionError, ValueError, TypeError) as e:
            raise ReasonlabError(f"task {self.name}: invalid options: {e or type(e).__name__}") from None
        self.cfg = cfg
        self.instructions = bool(getattr(cfg, "instructions", False))

    def __len__(self) -> int:
        return len(self.data)

    def entry(self, i: int) -> dict[str, Any]:
        if not 0 <= i < len(self):
            raise IndexError(f"problem index {i} out of range for size {len(self)}")
        return self.data[i]

    def problem(self, i: int) -> Problem:
        """Item i; its answer is ANY_VALID where the dataset has none (any valid solution scores)."""
        entry = self.entry(i)
        question = entry["question"]
        if self.instructions:
            question = f"{question}\n\n{default_instructions()}"
        single = entry["answer"] is not None
        return Problem(
            id=f"{self.name}-{self.cfg.seed}-{i}",
            question=question,
            answer=str(entry["answer"]) if single else ANY_VALID,
            metadata={"index": i} if single else {"index": i, "any_valid_solution": True},
        )

    def extract_answer(self, completion: str, close_marker: str | None = "</think>") -> str | None:
        """The last <answer> block after the thinking, else its last \\boxed{}."""
        solution = solution_part(completion, close_marker)
        found = answer_block(solution)
        return found if found is not None else last_boxed(solution)

    def score(self, problem: Problem, completion: str, close_marker: str | None = "</think>") -> float:
        """The dataset's own score_answer (1.0 right; some datasets give partial credit)."""
        answer = self.extract_answer(completion, close_marker)
        return float(self.data.score_answer(answer, self.entry(problem.metadata["index"])))

    def check(self, problem: Problem, answer: str | None) -> bool:
        return self.data.score_answer(answer, self.entry(problem.metadata["index"])) >= 1.0


def default_instructions() -> str:
    """reasoning-gym's own default instruction (its default system prompt): answer in <answer> tags."""
    return require("reasoning_gym.utils", "rg", "instructions=true").SYSTEM_PROMPTS["default"].strip()


@cache
def resolve(dataset: str) -> tuple[type[Task], type | None]:
    """The task class and config class of reasoning-gym dataset `dataset`."""
    factory = require("reasoning_gym.factory", "rg", f"task {PREFIX}{dataset}")
    if dataset not in factory.DATASETS:
        close = sorted(n for n in factory.DATASETS if dataset[:3] in n)[:5]
        hint = f"; similar: {', '.join(close)}" if close else ""
        raise ReasonlabError(
            f"unknown reasoning-gym dataset {dataset!r} ({len(factory.DATASETS)} available{hint})"
        )
    name = f"{PREFIX}{dataset}"
    description = f"reasoning-gym dataset {dataset}, graded by its score_answer."
    cls = type(f"ReasoningGym_{dataset}", (ReasoningGymTask,), {"dataset": dataset, "name": name})
    cls.description = description
    return cls, options_class(factory.DATASETS[dataset][1])


register_namespace(
    PREFIX, resolve, "Any reasoning-gym dataset (pip install 'reasonlab[rg]'), graded by its score_answer."
)
