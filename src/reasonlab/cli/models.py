"""`reasonlab models list`."""

from __future__ import annotations

import typer
from rich.table import Table

from reasonlab.cli.common import console
from reasonlab.models.loading import testbed_models

app = typer.Typer(
    help="Models: testbed handles; any local Hugging Face folder works too.", no_args_is_help=True
)


@app.command("list")
def list_() -> None:
    """List the testbed models this install ships."""
    table = Table("model", "what")
    for name, what in testbed_models().items():
        table.add_row(name, what)
    console.print(table)
    console.print("Any local Hugging Face model folder can be passed to --model as a path.")
