"""Command options derived from config dataclasses, as TRL's HfArgumentParser does.

A command decorated with `@config_options(SomeConfig)` gets one typer option per field of
SomeConfig: its help is `field(metadata={"help": ...})`, its default the field's, its flag
`--field-name` (one-letter fields: `-n`, `-H`). So a new field is a new flag, with its help next to
it, and no command can forget or misspell one. The command receives the typed values as a
`ConfigFlags` and builds its config with `flags.build(...)`, which checks it (errors name flags).

Field metadata the CLI reads:
- "help": the flag's help text (required for every field on the CLI; a test checks it);
- "flag": another spelling ("--checkpoint-every" for checkpoint_every_s, "--num-samples");
- "cli": False for fields a command sets itself (from --set, --dataset, ...);
- "required": True for a flag without a default.
- "expects": what a list field's items are, for its error ("fractions like 0.25,0.5").
List and tuple fields (`list[int]`, `tuple[int, ...]`, `list[float]`) are given as comma-separated
text. Fields whose default depends on the model (models/defaults.py) default to None on the CLI so
that `for_model` fills them, and their help says both defaults.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
import sys
import types
import typing
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import typer

from reasonlab.core.errors import ReasonlabError

_MISSING = dataclasses.MISSING


def field_flag(f: dataclasses.Field) -> str:
    """The flag of a config field: its metadata "flag", else typer's spelling of its name
    (num_problems -> --num-problems; one-letter fields are short flags: n -> -n, H -> -H)."""
    if "flag" in f.metadata:
        return f.metadata["flag"]
    return f"-{f.name}" if len(f.name) == 1 else "--" + f.name.replace("_", "-")


def flag_names(*configs) -> dict[str, str]:
    """{field: flag} of config classes or instances, for error messages."""
    return {f.name: field_flag(f) for c in configs for f in dataclasses.fields(c)}


def on_cli(f: dataclasses.Field) -> bool:
    return f.metadata.get("cli", True)


def _field_types(cls: type) -> dict[str, Any]:
    """Each field's resolved type; a field whose annotation names a class imported only for type
    checking (kept out of the CLI) resolves to Any."""
    out = {}
    for klass in reversed(cls.__mro__):
        module = sys.modules.get(klass.__module__)
        scope = dict(vars(module)) if module else {}
        for name, annotation in klass.__dict__.get("__annotations__", {}).items():
            try:
                out[name] = eval(annotation, scope) if isinstance(annotation, str) else annotation
            except NameError:
                out[name] = Any
    return out


def _optional(tp: Any) -> tuple[Any, bool]:
    """(T, True) for `T | None`, else (tp, False)."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0], True
    return tp, False


def _item_type(tp: Any) -> type | None:
    """int for list[int] / tuple[int, ...]; None when tp is not a list-like field."""
    if typing.get_origin(tp) in (list, tuple):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        if len(args) == 1 and args[0] in (int, float, str):
            return args[0]
    return None


def parse_list(text: str, item: type, flag: str, container: type = list, expects: str | None = None):
    """ "16,32,-1" -> [16, 32, -1]; anything else is a one-line error naming the flag (and what it
    expects, e.g. "fractions like 0.25,0.5")."""
    try:
        return container(item(x.strip()) for x in text.split(",") if x.strip())
    except ValueError:
        kind = expects or {int: "integers", float: "numbers"}.get(item, "values")
        raise ReasonlabError(f"{flag} expects comma-separated {kind}, got {text!r}") from None


def _model_dependent(cls: type) -> set[str]:
    if not hasattr(cls, "for_model"):
        return set()
    from reasonlab.models.defaults import TESTBED_DEFAULTS

    return set(TESTBED_DEFAULTS)


def _by_model_help(name: str) -> str:
    from reasonlab.models.defaults import REAL_MODEL_DEFAULTS, TESTBED_DEFAULTS

    return f"(default {TESTBED_DEFAULTS[name]} for testbed models, {REAL_MODEL_DEFAULTS[name]} otherwise)"


@dataclasses.dataclass
class _Option:
    """One field as a typer parameter: how it is declared and how its text becomes the value."""

    field: dataclasses.Field
    flag: str
    parameter: inspect.Parameter
    item: type | None  # list-like field: the item type (the CLI passes text)
    container: type = list

    def value(self, raw: Any) -> Any:
        if self.item is None or raw is None or not isinstance(raw, str):
            return raw
        expects = self.field.metadata.get("expects")
        return parse_list(raw, self.item, self.flag, self.container, expects)


def _default(f: dataclasses.Field) -> Any:
    if f.default is not _MISSING:
        return f.default
    if f.default_factory is not _MISSING:
        return f.default_factory()
    return None


def _option(f: dataclasses.Field, tp: Any, default: Any, by_model: bool) -> _Option:
    help_text = f.metadata.get("help")
    if help_text is None:
        raise TypeError(f"config field {f.name!r} has no metadata help for its CLI flag")
    base, optional = _optional(tp)
    item = _item_type(base)
    container = typing.get_origin(base) or list
    if by_model:
        default, optional = None, True
        if "default" not in help_text:
            help_text = f"{help_text.rstrip('.')} {_by_model_help(f.name)}."
    if item is not None:
        annotation: Any = str
        if isinstance(default, list | tuple):
            default = ",".join(map(str, default))
    elif base in (int, float, str, bool):
        annotation = base
    else:
        raise TypeError(f"config field {f.name!r} of type {tp} cannot be a flag: mark it cli False")
    if optional or default is None:
        annotation = annotation | None
    flag = field_flag(f)
    if flag == "--" + f.name.replace("_", "-"):
        decls = []  # typer's own spelling (with --no-x for a bool)
    elif flag.startswith("--") and base is bool:
        decls = [f"{flag}/--no-{flag[2:]}"]
    else:
        decls = [flag]
    required = f.metadata.get("required", False)
    option = typer.Option(... if required else default, *decls, help=help_text)
    kind = inspect.Parameter.KEYWORD_ONLY
    parameter = inspect.Parameter(f.name, kind, default=option, annotation=annotation)
    return _Option(f, flag, parameter, item, container)


class ConfigFlags:
    """The values a user gave a command's config flags (defaults included), by field name."""

    def __init__(self, values: dict[str, Any], flags: dict[str, str]):
        self.values = values
        self.flags = flags

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def build(self, cls: type, **overrides: Any):
        """A checked `cls` from these flags (those of its fields) and `overrides` (fields the command
        sets itself); model-dependent fields left None take the model's defaults (`for_model`).
        Errors, from the config's constructor or its validate(), name the flags."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise TypeError(f"{cls.__name__} has no field {unknown[0]!r}")
        chosen = {k: v for k, v in self.values.items() if k in names} | overrides
        with flag_errors(cls, flags=self.flags):
            cfg = cls.for_model(**chosen) if hasattr(cls, "for_model") else cls(**chosen)
        return validated(cfg, flags=self.flags)


def config_options(
    *classes: type,
    exclude: tuple[str, ...] = (),
    defaults: dict[str, Any] | None = None,
    renamed: dict[str, str] | None = None,
) -> Callable:
    """Decorator: the command gets one option per field of `classes` (all but `exclude` and the
    fields marked cli False; `defaults` replaces a field's default for this command) before its own
    parameters, and receives them as a ConfigFlags in its first parameter. `renamed` maps an old
    spelling to its new flag: the old one stays hidden and answers with a one-line error."""
    defaults = defaults or {}
    renamed = renamed or {}

    def decorate(fn: Callable) -> Callable:
        sig = inspect.signature(fn)
        hints = typing.get_type_hints(fn)
        own = list(sig.parameters.values())
        flags_param, rest = own[0], own[1:]
        options: dict[str, _Option] = {}
        for cls in classes:
            types_ = _field_types(cls)
            by_model = _model_dependent(cls)
            for f in dataclasses.fields(cls):
                if f.name in exclude or not on_cli(f) or f.name in options:
                    continue
                default = defaults.get(f.name, _default(f))
                options[f.name] = _option(f, types_[f.name], default, f.name in by_model)
        old = {f"renamed_{i}": (spelling, new) for i, (spelling, new) in enumerate(renamed.items())}
        hidden = [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=typer.Option(None, spelling, hidden=True),
                annotation=str | None,
            )
            for name, (spelling, _) in old.items()
        ]
        flags = {f.name: field_flag(f) for cls in classes for f in dataclasses.fields(cls)}
        params = (
            [o.parameter for o in options.values()]
            + [
                p.replace(annotation=hints.get(p.name, p.annotation), kind=inspect.Parameter.KEYWORD_ONLY)
                for p in rest
            ]
            + hidden
        )

        @functools.wraps(fn)
        def command(**kwargs: Any) -> Any:
            for name, (spelling, new) in old.items():
                if kwargs.pop(name) is not None:
                    raise ReasonlabError(f"{spelling} was renamed {new}")
            values = {name: o.value(kwargs.pop(name)) for name, o in options.items()}
            return fn(ConfigFlags(values, flags), **kwargs)

        del command.__wrapped__  # typer must read the new signature, not fn's
        command.__signature__ = sig.replace(parameters=params)
        command.__annotations__ = {p.name: p.annotation for p in params}
        command.__config_options__ = (classes, tuple(options), flags_param.name)
        return command

    return decorate


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
    the flags a user typed, not the Python fields (metadata "flag" spellings included); `flags`
    adds others. The configs' own messages keep the field names, right for Python API users."""
    spelt = flag_names(*configs) | (flags or {})
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
