"""Run the `reasonlab` command in-process, as the CLI tests do."""

import sys


def run_cli(monkeypatch, capsys, *args) -> tuple[int, str, str]:
    """Run `reasonlab ARGS` in-process; returns (exit code, stdout, stderr)."""
    from reasonlab.cli.main import main

    monkeypatch.setattr(sys, "argv", ["reasonlab", *args])
    try:
        main()
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err
