"""Helpers shared by the CLI commands: --set / --field parsing, tables, loading a task or an engine.
Flags derived from config dataclasses, and their validation, live in cli/options.py.

Run folders (names, resume, finish, Ctrl-C) live in core/runs.py: `open_run`."""

from __future__ import annotations

import dataclasses

from rich.console import Console
from rich.table import Table

from reasonlab.cli.options import flag_errors, name_flags, validated  # noqa: F401 (re-exported)
from reasonlab.core.errors import ReasonlabError
from reasonlab.jobs.common import load_task  # noqa: F401 (re-exported)

console = Console()


def parse_settings(pairs: list[str] | None, flag: str = "--set") -> dict[str, str]:
    """["steps=5", "modulus=none"] -> {"steps": "5", "modulus": "none"}."""
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ReasonlabError(f"{flag} expects key=value, got {pair!r}")
        out[key.strip()] = value.strip()
    return out


def metrics_table(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in rows:
        table.add_row(name, value)
    return table


DATASET_HELP = 'JSONL file of {"problem", "answer"} lines (instead of --task); see --field.'
SETTINGS_HELP = "Task option key=value (repeatable)."
FIELD_HELP = (
    "Dataset field mapping FILE_FIELD=OURS, e.g. question=problem (repeatable; ours are problem, "
    "answer and id)."
)


def parse_fields(pairs: list[str] | None) -> dict[str, str]:
    """--field question=problem (repeatable) -> {"question": "problem"}: a JSONL file's field names
    mapped onto ours, as datasets libraries rename columns."""
    return parse_settings(pairs, "--field")


def task_inputs(task: str, dataset: str | None, settings: list[str] | None, fields: list[str] | None):
    """The task fields of a job config (RunInputs) from --task and --set, or --dataset and --field:
    they go into config.json, so the run's name and resume see them."""
    options, mapping = parse_settings(settings), parse_fields(fields)
    if dataset and options:
        raise ReasonlabError("--set applies to --task, not to --dataset")
    if mapping and not dataset:
        raise ReasonlabError("--field applies to --dataset (it maps the JSONL file's fields)")
    if dataset:
        return {"task": "jsonl", "dataset": dataset, "task_options": {"fields": mapping} if mapping else {}}
    return {"task": task, "task_options": options}


def check_device(device: str) -> None:
    """A --device torch can parse and this machine has, checked before any model is loaded."""
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError):
        raise ReasonlabError(f"--device {device!r} is not a device (cpu, cuda, cuda:1, mps)") from None
    if dev.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ReasonlabError(f"--device {device!r}: CUDA is not available on this machine")
        if dev.index is not None and dev.index >= count:
            raise ReasonlabError(f"--device {device!r}: this machine has {count} CUDA device(s)")
    elif dev.type == "mps" and not torch.backends.mps.is_available():
        raise ReasonlabError(f"--device {device!r}: MPS is not available on this machine")
    elif dev.type not in ("cpu", "cuda", "mps"):
        raise ReasonlabError(f"--device {device!r} is not supported (cpu, cuda, cuda:1, mps)")


def load_engine(
    engine: str, model: str, device: str, dtype: str, think_open: str | None, think_close: str | None
):
    """(engine, think format) for a model."""
    from reasonlab.engines import create_engine
    from reasonlab.models.think import detect_think_format

    check_device(device)
    eng = create_engine(engine, model, device=device, dtype=dtype)
    return eng, detect_think_format(eng.tokenizer, think_open, think_close, model_name=model)


def config_from(cls, values: dict, **overrides):
    """A checked config from a dict that may hold other names too (Python callers and tests);
    commands use `cli.options.config_options`, which cannot pass a name that is not a field."""
    from reasonlab.cli.options import ConfigFlags

    names = {f.name for f in dataclasses.fields(cls)}
    return ConfigFlags({k: v for k, v in values.items() if k in names}, {}).build(cls, **overrides)
