"""The `reasonlab` command. Bad input ends with a one-line message and exit code 2; Ctrl-C with one
line ("interrupted", and how to resume where the command can) and exit code 130."""

from __future__ import annotations

import functools
import sys

import typer

from reasonlab.cli import budget as budget_cmd
from reasonlab.cli import fractured as fractured_cmd
from reasonlab.cli import generate as generate_cmd
from reasonlab.cli import grounding, models, optim, prm, recsys, rl, runs, tasks, testbed
from reasonlab.cli import merge as merge_cmd
from reasonlab.cli import probe as probe_cmd
from reasonlab.cli import prune as prune_cmd
from reasonlab.cli import rsd as rsd_cmd
from reasonlab.core.errors import ReasonlabError
from reasonlab.core.runs import RESUME_LINE, RunInterrupted

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
app.add_typer(runs.app, name="runs")
app.add_typer(rl.app, name="rl")
app.add_typer(prm.app, name="prm")
app.add_typer(prune_cmd.app, name="prune")
app.command()(generate_cmd.generate)
app.command("evaluate")(generate_cmd.evaluate)
app.command()(fractured_cmd.fractured)
app.command()(budget_cmd.budget)
app.command()(rsd_cmd.rsd)
app.command()(probe_cmd.probe)
app.command()(merge_cmd.merge)

# Commands that resume without a run folder of core/runs.py (the ones with one say so themselves).
RESUMES_ON_ITS_OWN = {"testbed train"}


def _interruptible(callback, name: str):
    """The command with Ctrl-C turned into one line on stderr and exit code 130: typer would exit
    130 silently, click print "Aborted!", Python a traceback."""

    @functools.wraps(callback)
    def command(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except KeyboardInterrupt as e:
            if isinstance(e, RunInterrupted):
                line = str(e)
            else:
                line = RESUME_LINE if name in RESUMES_ON_ITS_OWN else "interrupted"
            print(line, file=sys.stderr)
            raise typer.Exit(130) from None

    return command


def _wrap_commands(typer_app: typer.Typer, prefix: str = "") -> None:
    for info in typer_app.registered_commands:
        name = (prefix + (info.name or info.callback.__name__.replace("_", "-"))).strip()
        info.callback = _interruptible(info.callback, name)
    for group in typer_app.registered_groups:
        _wrap_commands(group.typer_instance, f"{prefix}{group.name} ")


_wrap_commands(app)


def main() -> None:
    try:
        app()
    except ReasonlabError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:  # outside any command (while parsing flags)
        print("interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
