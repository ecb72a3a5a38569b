"""`reasonlab tasks list|show|sample`."""

from __future__ import annotations

import typer
from rich.table import Table

from reasonlab.cli.common import console, parse_settings
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
    n: int = typer.Option(3, "-n", help="How many problems to show."),
    start: int = typer.Option(0, help="Index of the first problem."),
    settings: list[str] = typer.Option(None, "--set", help="Task option key=value (repeatable)."),
    solution: bool = typer.Option(True, help="Show the reference chain of thought when the task has one."),
) -> None:
    """Print problems (and reference solutions) from a task."""
    task = create_task(name, **parse_settings(settings))
    for p in task.problems(n, start=start):
        console.rule(p.id)
        console.print("question: " + p.question, markup=False)
        console.print("answer: " + p.answer, markup=False)
        if solution and hasattr(task, "reference_steps"):
            console.print("reference thinking:\n" + "\n\n".join(task.reference_steps(p)), markup=False)
