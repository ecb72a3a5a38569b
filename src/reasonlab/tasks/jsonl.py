"""`jsonl`: a user's math dataset, one {"problem", "answer"} object per line (MATH500 / AIME style).

Graded with math-verify on the last \\boxed{} of the solution, so "\\frac{1}{2}" matches "0.5".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from reasonlab.core.errors import ReasonlabError
from reasonlab.tasks.base import Problem, Task, register_task
from reasonlab.tasks.grade import math_equal


@dataclass(frozen=True)
class JsonlConfig:
    path: str = ""


def read_jsonl_problems(path: str | Path) -> list[Problem]:
    """Load and validate every line; a bad line raises ReasonlabError naming file, line and field."""
    path = Path(path)
    if not path.is_file():
        raise ReasonlabError(f"dataset file not found: {path}")
    problems = []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise ReasonlabError(f"{where}: invalid JSON ({e.msg})") from None
            if not isinstance(row, dict):
                raise ReasonlabError(f"{where}: expected an object with 'problem' and 'answer'")
            for key in ("problem", "answer"):
                if key not in row:
                    raise ReasonlabError(f"{where}: missing field '{key}'")
            if not isinstance(row["problem"], str) or not row["problem"].strip():
                raise ReasonlabError(f"{where}: field 'problem' must be a non-empty string")
            if not isinstance(row["answer"], str | int | float):
                raise ReasonlabError(f"{where}: field 'answer' must be a string or a number")
            pid = str(row.get("id", row.get("unique_id", f"{path.stem}-{lineno}")))
            meta = {k: v for k, v in row.items() if k not in ("problem", "answer")}
            problems.append(
                Problem(id=pid, question=row["problem"], answer=str(row["answer"]), metadata=meta)
            )
    if not problems:
        raise ReasonlabError(f"{path}: no problems in file")
    return problems


@register_task("jsonl", JsonlConfig)
class JsonlTask(Task):
    description = 'Your own dataset: {"problem", "answer"} per line, graded with math-verify.'

    def __init__(self, cfg: JsonlConfig):
        if not cfg.path:
            raise ReasonlabError("task 'jsonl' needs path=<file.jsonl>")
        self.cfg = cfg
        self._problems = read_jsonl_problems(cfg.path)

    def __len__(self) -> int:
        return len(self._problems)

    def problem(self, i: int) -> Problem:
        return self._problems[i]

    def equivalent(self, a: str, b: str) -> bool:
        return math_equal(a, b)

    def check(self, problem: Problem, answer: str | None) -> bool:
        return math_equal(problem.answer, answer)
