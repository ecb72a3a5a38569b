"""`reasonlab runs list|compare`: the run folders under runs/, and two of them side by side.

Everything here reads what the commands already write (config.json, summary.json or results.json,
samples.jsonl); nothing is recomputed. A folder `<name>.partial` is a run that was interrupted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from reasonlab.cli.common import console
from reasonlab.core.errors import ReasonlabError

app = typer.Typer(help="Past runs: list them, compare two.", no_args_is_help=True)

# Figures a reader looks for first, by name; a summary without any of them shows its first numbers.
KEY_FIGURES = re.compile(r"accuracy|pass@|majority|slopes\.joint|ndcg|recall|hit|final_loss|overall")
SUMMARY_FILES = ("summary.json", "results.json")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ReasonlabError(f"{path}: unreadable ({e})") from None
    if not isinstance(data, dict):
        raise ReasonlabError(f"{path}: not a JSON object")
    return data


def numbers(tree: Any, prefix: str = "", depth: int = 6) -> dict[str, float]:
    """The numeric leaves of a summary, by dotted path (lists of numbers and deep levels skipped)."""
    out: dict[str, float] = {}
    if isinstance(tree, dict) and depth > 0:
        for key, value in tree.items():
            path = f"{prefix}{key}"
            if isinstance(value, bool):
                continue
            if isinstance(value, int | float):
                out[path] = float(value)
            else:
                out.update(numbers(value, path + ".", depth - 1))
    return out


def command_of(folder: Path, config: dict[str, Any]) -> str:
    """The command that wrote a run: recorded in config.json, else the default name's prefix
    (runs/<command>-<hash>), else the folder's name."""
    if isinstance(config.get("command"), str):
        return config["command"]
    name = folder.name.removesuffix(".partial")
    match = re.fullmatch(r"(.+?)-[0-9a-f]{6,}", name)
    return match.group(1) if match else name


def describe(folder: Path) -> dict[str, Any] | None:
    """One run folder as a row: name, command, status, items done and key figures; None when the
    folder is not a run (no config.json: a data folder, say)."""
    if not (folder / "config.json").is_file():
        return None
    config = _read_json(folder / "config.json")
    summary_path = next((folder / f for f in SUMMARY_FILES if (folder / f).is_file()), None)
    partial = folder.name.endswith(".partial")
    samples = folder / "samples.jsonl"
    items = sum(1 for _ in samples.open()) if samples.is_file() else None
    summary = _read_json(summary_path) if summary_path and not partial else {}
    figures = numbers(summary)
    key = {k: v for k, v in figures.items() if KEY_FIGURES.search(k) and not k.endswith(".std")} or figures
    return {
        "run": folder.name,
        "command": command_of(folder, config),
        "status": "interrupted" if partial else ("finished" if summary_path else "no summary"),
        "items": items,
        "figures": dict(list(key.items())[:3]),
        "modified": folder.stat().st_mtime,
    }


def _format(value: float) -> str:
    return f"{value:.0f}" if value.is_integer() and abs(value) < 1e12 else f"{value:.4g}"


@app.command("list")
def list_cmd(
    folder: str = typer.Option("runs", "--dir", help="Folder holding the run folders."),
) -> None:
    """Every run under --dir, newest first: command, status, items done and key figures."""
    root = Path(folder)
    if folder == "runs" and not root.exists():
        console.print("no runs yet: there is no runs/ folder here")
        return
    if not root.is_dir():
        raise ReasonlabError(f"--dir {root} is not a folder")
    rows = [r for r in (describe(p) for p in root.iterdir() if p.is_dir()) if r is not None]
    if not rows:
        console.print(f"no run folders in {root}")
        return
    table = Table("run", "command", "status", "items", "key figures")
    for r in sorted(rows, key=lambda r: -r["modified"]):
        figures = ", ".join(f"{k} {_format(v)}" for k, v in r["figures"].items())
        items = "" if r["items"] is None else str(r["items"])
        table.add_row(r["run"], r["command"], r["status"], items, figures)
    console.print(table)


@app.command()
def compare(
    a: str = typer.Argument(..., help="A run folder."),
    b: str = typer.Argument(..., help="Another run folder."),
    all_figures: bool = typer.Option(False, "--all", help="Every number, not only those that differ."),
) -> None:
    """Two finished runs side by side: the settings that differ, then their figures and B - A."""
    runs = []
    for name in (a, b):
        folder = Path(name)
        summary = next((folder / f for f in SUMMARY_FILES if (folder / f).is_file()), None)
        if not (folder / "config.json").is_file() or summary is None:
            raise ReasonlabError(f"{folder} is not a finished run folder (no config.json and summary.json)")
        runs.append((_read_json(folder / "config.json"), numbers(_read_json(summary))))
    (config_a, figures_a), (config_b, figures_b) = runs
    settings = Table("setting", "A", "B", title=f"A = {a}, B = {b}")
    for key in sorted(config_a.keys() | config_b.keys()):
        if key != "inputs" and config_a.get(key) != config_b.get(key):
            settings.add_row(key, json.dumps(config_a.get(key)), json.dumps(config_b.get(key)))
    if settings.row_count:
        console.print(settings)
    else:
        console.print(f"same settings (A = {a}, B = {b})")
    table = Table("figure", "A", "B", "B - A")
    for key in [k for k in figures_a if k in figures_b]:
        x, y = figures_a[key], figures_b[key]
        if all_figures or x != y:
            table.add_row(key, _format(x), _format(y), _format(y - x))
    only = sorted(figures_a.keys() ^ figures_b.keys())
    console.print(table if table.row_count else "every figure is the same")
    if only:
        console.print(f"{len(only)} figures are in one run only (e.g. {only[0]})")
