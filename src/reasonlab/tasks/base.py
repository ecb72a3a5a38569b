"""Tasks in the spirit of reasoning-gym: a registry, deterministic problems, a score function.

`create_task(name, **config)` returns a `Task`; `task.problem(i)` is derived from (seed, i) only,
so problem i is the same on every machine and in every run. The question is the user message;
model-specific prompt formatting is the tokenizer's chat template, as for real models.
"""

from __future__ import annotations

import dataclasses
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reasonlab.core.errors import ReasonlabError
from reasonlab.core.options import from_settings
from reasonlab.tasks.extract import last_boxed, solution_part


@dataclass(frozen=True)
class Problem:
    id: str
    question: str
    answer: str
    metadata: dict[str, Any] = field(default_factory=dict)


class Task(ABC):
    """A source of problems with a verifiable answer."""

    name: str = ""
    description: str = ""

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def problem(self, i: int) -> Problem: ...

    def problems(self, n: int | None = None, start: int = 0) -> list[Problem]:
        end = len(self) if n is None else min(len(self), start + n)
        return [self.problem(i) for i in range(start, end)]

    def extract_answer(self, completion: str, close_marker: str | None = "</think>") -> str | None:
        """The answer a completion gives: its last \\boxed{} after the thinking."""
        return last_boxed(solution_part(completion, close_marker))

    @abstractmethod
    def check(self, problem: Problem, answer: str | None) -> bool:
        """Whether an extracted answer is right."""

    def with_question(self, problem: Problem, question: str) -> Problem:
        """`problem` asked with another question text (the reward-model probe edits questions). A
        task that can read its questions recomputes the answer; by default the answer is kept."""
        return dataclasses.replace(problem, question=question)

    def equivalent(self, a: str, b: str) -> bool:
        """Whether two extracted answers state the same thing (votes pool them); default: same text."""
        return a.strip() == b.strip()

    def vote_keys(
        self, problem: Problem, answers: Sequence[str | None], correct: Sequence[bool] | None = None
    ) -> list[str | None]:
        """One key per answer such that equivalent answers share a key, so `\\frac12` and `0.5` do not
        split a vote. Answers known to be right map onto the reference answer (as the frac-cot code
        does); the others onto the first equivalent answer seen, which stays a readable raw string."""
        keys: list[str | None] = []
        known: dict[str, str] = {}
        representatives: list[str] = []
        for i, answer in enumerate(answers):
            if answer is None:
                keys.append(None)
            elif correct is not None and correct[i]:
                keys.append(problem.answer)
            else:
                if answer not in known:
                    match = next((r for r in representatives if self.equivalent(r, answer)), None)
                    if match is None:
                        representatives.append(answer)
                    known[answer] = match or answer
                keys.append(known[answer])
        return keys

    def score(self, problem: Problem, completion: str, close_marker: str | None = "</think>") -> float:
        """1.0 if the completion's final answer is right, else 0.0."""
        return float(self.check(problem, self.extract_answer(completion, close_marker)))

    def config(self) -> dict[str, Any]:
        return dataclasses.asdict(self.cfg) if dataclasses.is_dataclass(getattr(self, "cfg", None)) else {}


def check_counts(cfg: Any) -> None:
    """For a generator's config: a positive size and a positive budget of rejected draws."""
    for name in ("size", "max_draws"):
        if getattr(cfg, name) < 1:
            raise ValueError(f"{name} must be >= 1, got {getattr(cfg, name)}")


class GeneratedTask(Task):
    """A generator configured by a dataclass with `size` and `seed` (registered with the task):
    problem i comes from its own random stream, seeded by the task's name, the seed and i, so any
    problem can be drawn alone and is the same on every machine."""

    config_cls: type

    def __init__(self, cfg: Any = None):
        self.cfg = cfg or self.config_cls()

    def __len__(self) -> int:
        return self.cfg.size

    def stream(self, i: int, *extra: Any) -> random.Random:
        """The random stream of problem i ("<name>:<extra...>:<seed>:<i>"); IndexError past the end."""
        if not 0 <= i < len(self):
            raise IndexError(f"problem index {i} out of range for size {len(self)}")
        return random.Random(":".join(str(part) for part in (self.name, *extra, self.cfg.seed, i)))

    def redraw(
        self, make: Callable[[random.Random], Any], rng: random.Random, i: int, what: str, hint: str = ""
    ) -> tuple[Any, int]:
        """(the first draw `make(rng)` does not reject (None), draws rejected before it), failing
        after cfg.max_draws rejections: a config that can never give a well-posed problem stops."""
        for rejected in range(self.cfg.max_draws):
            drawn = make(rng)
            if drawn is not None:
                return drawn, rejected
        raise ReasonlabError(
            f"{self.name}: no {what} in {self.cfg.max_draws} draws for problem {i}"
            + (f" ({hint})" if hint else "")
        )


_REGISTRY: dict[str, tuple[type[Task], type | None]] = {}


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def register_task(name: str, config_cls: type | None = None, overwrite: bool = False):
    """Class decorator: make a task available to `create_task(name, ...)` and the CLI.

    A name already taken by another class is refused unless `overwrite=True`: a plugin that reuses
    "arith" would otherwise silently change what every command samples. The same class registering
    again (its module reloaded) is not a conflict."""

    def wrap(cls: type[Task]) -> type[Task]:
        if name in _REGISTRY and not overwrite and _qualname(_REGISTRY[name][0]) != _qualname(cls):
            raise ReasonlabError(
                f"task {name!r} is already registered ({_qualname(_REGISTRY[name][0])}); "
                "choose another name or pass overwrite=True"
            )
        cls.name = name
        if config_cls is not None:
            cls.config_cls = config_cls
        _REGISTRY[name] = (cls, config_cls)
        return cls

    return wrap


# Families of tasks named "<prefix><name>" and resolved when asked for (reasoning-gym's datasets):
# prefix -> (resolve(name) -> (task class, config class), one-line description for the task list).
_NAMESPACES: dict[str, tuple[Callable[[str], tuple[type[Task], type | None]], str]] = {}


def register_namespace(
    prefix: str, resolve: Callable[[str], tuple[type[Task], type | None]], description: str
) -> None:
    """Make every "<prefix><name>" a task, built by `resolve(name)` on first use."""
    if prefix in _NAMESPACES:
        raise ReasonlabError(f"task prefix {prefix!r} is already registered")
    _NAMESPACES[prefix] = (resolve, description)


def list_tasks() -> dict[str, str]:
    listed = {name: cls.description for name, (cls, _) in sorted(_REGISTRY.items())}
    return listed | {f"{prefix}<name>": description for prefix, (_, description) in _NAMESPACES.items()}


def task_config_fields(name: str) -> list[dataclasses.Field]:
    cls, config_cls = _lookup(name)
    return list(dataclasses.fields(config_cls)) if config_cls else []


def _lookup(name: str) -> tuple[type[Task], type | None]:
    if name not in _REGISTRY:
        for prefix, (resolve, _) in _NAMESPACES.items():
            if name.startswith(prefix):
                return resolve(name.removeprefix(prefix))
        known = ", ".join([*sorted(_REGISTRY), *(f"{prefix}<name>" for prefix in _NAMESPACES)])
        raise ReasonlabError(f"unknown task {name!r} (known tasks: {known})")
    return _REGISTRY[name]


def create_task(name: str, **config: Any) -> Task:
    """Build a registered task; unknown config keys and invalid values raise ReasonlabError."""
    cls, config_cls = _lookup(name)
    if config_cls is None:
        return cls(**config)
    return cls(from_settings(config_cls, config, f"task {name!r}"))
