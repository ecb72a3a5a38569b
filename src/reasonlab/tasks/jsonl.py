"""`jsonl`: a user's math dataset, one {"problem", "answer"} object per line (MATH500 / AIME style).

Graded with math-verify on the last \\boxed{} of the solution, so "\\frac{1}{2}" matches "0.5".
A file whose fields have other names is read through a mapping, file field -> ours
(`fields={"question": "problem"}`, `--field question=problem` on the CLI), as datasets libraries
rename columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reasonlab.core.errors import ReasonlabError
from reasonlab.core.jsonl import jsonl_rows
from reasonlab.tasks.base import Problem, Task, register_task
from reasonlab.tasks.grade import math_equal

OUR_FIELDS = ("problem", "answer", "id")


@dataclass(frozen=True)
class JsonlConfig:
    path: str = ""
    fields: dict[str, str] = field(default_factory=dict)  # file field -> ours (problem, answer, id)


def check_fields(fields: dict[str, str]) -> None:
    """A mapping names each of our fields at most once, and only ours."""
    for theirs, ours in fields.items():
        if ours not in OUR_FIELDS:
            raise ReasonlabError(
                f"field mapping {theirs}={ours}: {ours!r} is not one of ours ({', '.join(OUR_FIELDS)})"
            )
    targets = list(fields.values())
    for ours in OUR_FIELDS:
        if targets.count(ours) > 1:
            sources = [t for t, o in fields.items() if o == ours]
            raise ReasonlabError(f"field mapping: {' and '.join(sources)} are both mapped to {ours!r}")


def _renamed(row: dict, fields: dict[str, str], where: str) -> dict:
    """The row with its fields renamed by the mapping; a field of ours present twice (as itself
    and as a mapped one) is ambiguous."""
    out = {k: v for k, v in row.items() if k not in fields}
    for theirs, ours in fields.items():
        if theirs not in row:
            raise ReasonlabError(f"{where}: missing field {theirs!r} (mapped to {ours!r})")
        if ours in out:
            raise ReasonlabError(
                f"{where}: has both {ours!r} and {theirs!r}, which is mapped to {ours!r}; map only one"
            )
        out[ours] = row[theirs]
    return out


def read_jsonl_problems(path: str | Path, fields: dict[str, str] | None = None) -> list[Problem]:
    """Load and validate every line; a bad line raises ReasonlabError naming file, line and field.
    `fields` maps the file's field names onto ours (problem, answer, id)."""
    fields = fields or {}
    check_fields(fields)
    problems = []
    for where, lineno, row in jsonl_rows(path, "dataset file not found"):
        if not isinstance(row, dict):
            raise ReasonlabError(f"{where}: expected an object with 'problem' and 'answer'")
        row = _renamed(row, fields, where)
        for key in ("problem", "answer"):
            if key not in row:
                theirs = ", ".join(repr(k) for k in row) or "none"
                raise ReasonlabError(
                    f"{where}: missing field '{key}' (its fields: {theirs}; map one of them with "
                    f"--field NAME={key})"
                )
        if not isinstance(row["problem"], str) or not row["problem"].strip():
            raise ReasonlabError(f"{where}: field 'problem' must be a non-empty string")
        if not isinstance(row["answer"], str | int | float):
            raise ReasonlabError(f"{where}: field 'answer' must be a string or a number")
        pid = str(row.get("id", row.get("unique_id", f"{Path(path).stem}-{lineno}")))
        meta = {k: v for k, v in row.items() if k not in ("problem", "answer")}
        problems.append(Problem(id=pid, question=row["problem"], answer=str(row["answer"]), metadata=meta))
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
        self._problems = read_jsonl_problems(cfg.path, cfg.fields)

    def __len__(self) -> int:
        return len(self._problems)

    def problem(self, i: int) -> Problem:
        return self._problems[i]

    def equivalent(self, a: str, b: str) -> bool:
        return math_equal(a, b)

    def check(self, problem: Problem, answer: str | None) -> bool:
        return math_equal(problem.answer, answer)
