"""`reasonlab tasks list|show|sample`."""

from __future__ import annotations

import typer
from rich.table import Table

from reasonlab.cli.common import console, parse_settings
from reasonlab.core.errors import ReasonlabError
from reasonlab.tasks import create_task, list_tasks
from reasonlab.tasks.base import task_config_fields

app = typer.Typer(help="Browse the built-in problem generators.", no_args_is_help=True)


@app.command("list")
def list_() -> None:
    """List registered tasks."""
    table = Table("task", "description")
    for name, description in list_tasks().items():
        table.add_row(name, description)
    console.print(table)


@app.command()
def show(name: str) -> None:
    """Show a task's options and defaults."""
    fields = task_config_fields(name)
    table = Table("option", "type", "default", title=f"task {name}")
    for f in fields:
        default = f.default if f.default is not f.default_factory else f.default_factory()  # type: ignore[misc]
        table.add_row(f.name, str(f.type), repr(default))
    console.print(table)


@app.command()
def sample(
    name: str,
    num_problems: int = typer.Option(3, help="How many problems to show."),
    start: int = typer.Option(0, help="Index of the first problem."),
    settings: list[str] = typer.Option(None, "--set", help="Task option key=value (repeatable)."),
    solution: bool = typer.Option(True, help="Show the reference chain of thought when the task has one."),
    renamed_n: int = typer.Option(None, "-n", hidden=True),
) -> None:
    """Print problems (and reference solutions) from a task."""
    if renamed_n is not None:
        raise ReasonlabError(
            "tasks sample: -n was renamed --num-problems (-n means samples per problem in every command)"
        )
    if num_problems < 1:
        raise ReasonlabError(f"--num-problems must be at least 1, got {num_problems}")
    if start < 0:
        raise ReasonlabError(f"--start must be at least 0, got {start}")
    task = create_task(name, **parse_settings(settings))
    if start >= len(task):
        raise ReasonlabError(
            f"--start {start} is past the end: task {name} has {len(task)} problems (0 to {len(task) - 1})"
        )
    for p in task.problems(num_problems, start=start):
        console.rule(p.id)
        console.print("question: " + p.question, markup=False)
        console.print("answer: " + p.answer, markup=False)
        if solution and hasattr(task, "reference_steps"):
            console.print("reference thinking:\n" + "\n\n".join(task.reference_steps(p)), markup=False)
