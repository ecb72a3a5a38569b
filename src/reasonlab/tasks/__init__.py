"""Problem sources with verifiable answers."""

# Importing the modules registers their tasks (reasoning_gym: the rg:<name> family, loaded on use).
from reasonlab.tasks import abduction, arith, deduction, induction, jsonl, reasoning_gym  # noqa: F401
from reasonlab.tasks.base import Problem, Task, create_task, list_tasks, register_task

__all__ = ["Problem", "Task", "create_task", "list_tasks", "register_task"]
