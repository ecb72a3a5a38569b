"""Helpers shared by the CLI commands: option parsing, run folder names, tables."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from rich.console import Console
from rich.table import Table

from reasonlab.core.errors import ReasonlabError

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


def int_list(text: str, flag: str, example: str = "") -> list[int]:
    """ "16,32,-1" -> [16, 32, -1]; anything else is a one-line error naming the flag."""
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        like = f" like {example}" if example else ""
        raise ReasonlabError(f"{flag} expects comma-separated integers{like}, got {text!r}") from None


def default_run_dir(command: str, config: dict[str, Any]) -> str:
    """runs/<command>-<hash of config>: the same command lands in (and resumes) the same folder."""
    digest = hashlib.sha1(json.dumps(config, sort_keys=True).encode()).hexdigest()[:8]
    return f"runs/{command}-{digest}"


def metrics_table(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in rows:
        table.add_row(name, value)
    return table


def load_task(task: str, dataset: str | None, settings: list[str] | None):
    """The task object from --task/--set or --dataset (validated before any model is loaded)."""
    from reasonlab.tasks import create_task

    options = parse_settings(settings)
    if dataset and options:
        raise ReasonlabError("--set applies to --task, not to --dataset")
    return create_task("jsonl", path=dataset) if dataset else create_task(task, **options)


def load_engine(
    engine: str, model: str, device: str, dtype: str, think_open: str | None, think_close: str | None
):
    """(engine, think format) for a model."""
    from reasonlab.engines import create_engine
    from reasonlab.models.think import detect_think_format

    eng = create_engine(engine, model, device=device, dtype=dtype)
    return eng, detect_think_format(eng.tokenizer, think_open, think_close, model_name=model)


SYSTEM_PROMPT_HELP = (
    'System message for the chat template; "" for none (default: none for testbed models, the '
    'official "Please reason step by step, and put your final answer within \\boxed{}." otherwise).'
)


def by_model(name: str, what: str) -> str:
    """Help text of a flag whose default depends on the model (models/defaults.py)."""
    from reasonlab.models.defaults import REAL_MODEL_DEFAULTS, TESTBED_DEFAULTS

    testbed, real = TESTBED_DEFAULTS[name], REAL_MODEL_DEFAULTS[name]
    return f"{what} (default {testbed} for testbed models, {real} otherwise)."


def config_from(cls, values: dict, **overrides):
    """A config dataclass from a command's local variables: its fields ARE the CLI flags."""
    import dataclasses

    names = {f.name for f in dataclasses.fields(cls)}
    chosen = {**{k: v for k, v in values.items() if k in names}, **overrides}
    # Flags left unset (None) that depend on the model take the model's defaults.
    return cls.for_model(**chosen) if hasattr(cls, "for_model") else cls(**chosen)
