"""Problem sources with verifiable answers."""

from reasonlab.tasks import abduction, arith, deduction, induction, jsonl  # noqa: F401  (registers the built-in tasks)
from reasonlab.tasks.base import Problem, Task, create_task, list_tasks, register_task

__all__ = ["Problem", "Task", "create_task", "list_tasks", "register_task"]
