"""Helpers shared by the CLI commands: option parsing, validation, tables, loading a task or an engine.

Run folders (names, resume, finish, Ctrl-C) live in core/runs.py: `open_run`."""

from __future__ import annotations

import dataclasses
import re
from contextlib import contextmanager

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
    """A validated config dataclass from a command's local variables: its fields ARE the CLI flags."""
    names = {f.name for f in dataclasses.fields(cls)}
    chosen = {**{k: v for k, v in values.items() if k in names}, **overrides}
    with flag_errors(cls):
        # Flags left unset (None) that depend on the model take the model's defaults.
        cfg = cls.for_model(**chosen) if hasattr(cls, "for_model") else cls(**chosen)
    return validated(cfg)


def flag(field: str) -> str:
    """The CLI flag of a config field, spelt as typer derives it from the parameter of that name:
    num_problems -> --num-problems; one-letter fields are short flags: n -> -n, H -> -H."""
    return f"-{field}" if len(field) == 1 else "--" + field.replace("_", "-")


# Where a validation message names a config field: the subject of its "must" ("num_problems must",
# "num_problems and n must"), and snake_case names anywhere ("in [1, max_tokens)"). Plain words
# elsewhere ("unknown model 'x'", "thinking budget must") are left alone: they may be English.
_SUBJECT = re.compile(r"^\w+(?:(?:, | and )\w+)*(?= must\b)")
_SNAKE = re.compile(r"(?<![\w'\"/.-])[a-z]\w*_\w+(?![\w'\"/.-])")


def name_flags(message: str, flags: dict[str, str]) -> str:
    """A validation message with the config fields it names ({field: flag}) spelt as their flags."""

    def swap(m: re.Match) -> str:
        return flags.get(m.group(0), m.group(0))

    subject = _SUBJECT.match(message)
    if subject:
        message = re.sub(r"\w+", swap, subject.group(0)) + message[subject.end() :]
    return _SNAKE.sub(swap, message)


@contextmanager
def flag_errors(*configs, flags: dict[str, str] | None = None):
    """Inside a command: a ReasonlabError from checking these configs (classes or instances) names
    the flags a user typed, not the Python fields; `flags` gives a field a flag not spelt by `flag()`.
    The configs' own messages keep the field names, right for Python API users of `cfg.validate()`."""
    spelt = {f.name: flag(f.name) for c in configs for f in dataclasses.fields(c)} | (flags or {})
    try:
        yield
    except ReasonlabError as e:
        raise ReasonlabError(name_flags(str(e), spelt)) from None


def validated(*configs, flags: dict[str, str] | None = None):
    """Check every config (sampling parameters included) before any data or model is loaded or any
    folder is made; errors name the command's flags. Returns the first config."""
    with flag_errors(*configs, flags=flags):
        for cfg in configs:
            if hasattr(cfg, "validate"):
                cfg.validate()
            if hasattr(cfg, "sampling_params"):
                cfg.sampling_params()
    return configs[0]
