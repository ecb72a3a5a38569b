"""Any reasoning-gym dataset as a task: `--task rg:<name>` (e.g. rg:chain_sum, rg:knights_knaves).

Researchers already generate their training data with reasoning-gym, so its ~100 procedural
datasets plug in as they are: the dataset's own config dataclass holds the task options (`--set
min_terms=3`), problem i is the dataset's item i (reasoning-gym draws it from Random(seed + i), so a
run is reproducible; a seed left unset is 0 here, not a random one), and the dataset's own
`score_answer` grades it. reasoning-gym asks for the answer in <answer> tags; a \\boxed{} answer,
as reasonlab's models write it, is read too. The library is an extra: pip install 'reasonlab[rg]'.
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


class ReasoningGymTask(Task):
    """One reasoning-gym dataset (`dataset`, set by the subclass `resolve` makes)."""

    dataset: str = ""

    def __init__(self, cfg: Any = None):
        factory = require("reasoning_gym.factory", "rg", f"task {self.name}")
        dataset_cls, config_cls = factory.DATASETS[self.dataset]
        cfg = cfg or config_cls()
        if getattr(cfg, "seed", 0) is None:
            cfg = dataclasses.replace(cfg, seed=0)
        try:
            self.data = dataset_cls(config=cfg)
        except (AssertionError, ValueError, TypeError) as e:
            raise ReasonlabError(f"task {self.name}: invalid options: {e or type(e).__name__}") from None
        self.cfg = cfg

    def __len__(self) -> int:
        return len(self.data)

    def entry(self, i: int) -> dict[str, Any]:
        if not 0 <= i < len(self):
            raise IndexError(f"problem index {i} out of range for size {len(self)}")
        return self.data[i]

    def problem(self, i: int) -> Problem:
        entry = self.entry(i)
        return Problem(
            id=f"{self.name}-{self.cfg.seed}-{i}",
            question=entry["question"],
            answer=str(entry["answer"]),
            metadata={"index": i},
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
    return cls, factory.DATASETS[dataset][1]


register_namespace(
    PREFIX, resolve, "Any reasoning-gym dataset (pip install 'reasonlab[rg]'), graded by its score_answer."
)
