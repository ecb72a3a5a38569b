"""The `reasonlab` command. Bad input ends with a one-line message and exit code 2."""

from __future__ import annotations

import sys

import typer

from reasonlab.cli import budget as budget_cmd
from reasonlab.cli import fractured as fractured_cmd
from reasonlab.cli import generate as generate_cmd
from reasonlab.cli import grounding, models, optim, recsys, tasks, testbed
from reasonlab.core.errors import ReasonlabError

app = typer.Typer(
    help="Efficient LLM reasoning: sample, train, compress and evaluate reasoning models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        from reasonlab import __version__

        print(f"reasonlab {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Efficient LLM reasoning: sample, train, compress and evaluate reasoning models."""


app.add_typer(tasks.app, name="tasks")
app.add_typer(models.app, name="models")
app.add_typer(testbed.app, name="testbed")
app.add_typer(optim.app, name="optim")
app.add_typer(recsys.app, name="recsys")
app.add_typer(grounding.app, name="grounding")
app.command()(generate_cmd.generate)
app.command("evaluate")(generate_cmd.evaluate)
app.command()(fractured_cmd.fractured)
app.command()(budget_cmd.budget)


def main() -> None:
    try:
        app()
    except ReasonlabError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted: rerun the same command to resume", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
