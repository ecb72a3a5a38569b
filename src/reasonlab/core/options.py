"""Build option dataclasses from CLI strings (`--set key=value`), with one-line errors.

A field's annotation says how its string is read, whether it is a string (our configs use
`from __future__ import annotations`), a class or a typing object (third-party configs such as
reasoning-gym's): int, float, bool, str; `X | None` / `Optional[X]` ("none" gives None);
`list[X]` / `tuple[X, ...]` / `Sequence[X]` from comma-separated items, each read as X;
`Literal[...]` and enums checked against their values; `date`, `datetime` and `time` in ISO form.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import enum
import types
import typing
from collections.abc import Sequence
from typing import Any, NamedTuple

from reasonlab.core.errors import ReasonlabError

SCALARS: dict[str, Any] = {
    "int": int,
    "float": float,
    "bool": bool,
    "str": str,
    "date": dt.date,
    "datetime": dt.datetime,
    "time": dt.time,
}
SEQUENCES = {"list": list, "List": list, "Sequence": tuple, "tuple": tuple, "Tuple": tuple}


class Kind(NamedTuple):
    """An annotation, normalized: `name` is a scalar name ("int"), "none", "union", "literal", "enum",
    "list" or "tuple" (with `args`: members, values, or item kinds; a tuple with `variadic` takes any
    number of items), or "other" (passed through, or refused when `settable` is False)."""

    name: str
    args: tuple[Any, ...] = ()
    variadic: bool = True
    settable: bool = True


UNTYPED = Kind("str")  # items of a bare `list` or `tuple`


def kind_of(annotation: Any) -> Kind:
    """The Kind of a class, typing object or annotation string."""
    if isinstance(annotation, str):
        try:
            return _kind_of_text(ast.parse(annotation, mode="eval").body)
        except SyntaxError:
            return Kind("other")
    if annotation is None or annotation is type(None):
        return Kind("none")
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return Kind("union", tuple(kind_of(a) for a in args))
    if origin is typing.Literal:
        return Kind("literal", args)
    if origin in (list, Sequence):
        return Kind("list" if origin is list else "tuple", (kind_of(args[0]) if args else UNTYPED,))
    if origin is tuple:
        if len(args) <= 1 or (len(args) == 2 and args[1] is Ellipsis):
            # tuple[X, ...], and a lone tuple[X] read the same, as configs mean it (reasoning-gym's
            # polynomial_multiplication: `variables: tuple[str] = ("x", "y", "z")`)
            return Kind("tuple", (kind_of(args[0]) if args else UNTYPED,))
        return Kind("tuple", tuple(kind_of(a) for a in args), variadic=False)
    if annotation in (list, tuple):
        return Kind(annotation.__name__, (UNTYPED,))
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return Kind("enum", tuple(annotation))
        for name, cls in SCALARS.items():
            if annotation is cls:
                return Kind(name)
        # A class that no string turns into (a dataclass of options, say): refused, not passed on.
        return Kind("other", settable=not dataclasses.is_dataclass(annotation))
    return Kind("other", settable=origin is None)


def _kind_of_text(node: ast.expr) -> Kind:
    """The Kind of a parsed annotation string; names it does not know pass the value through."""
    if isinstance(node, ast.Constant) and node.value is None:
        return Kind("none")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        members = []
        for side in (_kind_of_text(node.left), _kind_of_text(node.right)):
            members += side.args if side.name == "union" else (side,)
        return Kind("union", tuple(members))
    if isinstance(node, ast.Name | ast.Attribute):
        name = node.id if isinstance(node, ast.Name) else node.attr
        if name in SCALARS:
            return Kind(name)
        if name in SEQUENCES:
            return Kind(SEQUENCES[name].__name__, (UNTYPED,))
        return Kind("none") if name == "None" else Kind("other")
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name | ast.Attribute):
        name = node.value.id if isinstance(node.value, ast.Name) else node.value.attr
        items = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
        ellipsis = len(items) == 2 and isinstance(items[1], ast.Constant) and items[1].value is Ellipsis
        variadic = ellipsis or len(items) == 1  # a lone tuple[X] as above
        if name == "Optional":
            return Kind("union", (_kind_of_text(items[0]), Kind("none")))
        if name == "Union":
            return Kind("union", tuple(_kind_of_text(i) for i in items))
        if name == "Literal":
            try:
                return Kind("literal", tuple(ast.literal_eval(i) for i in items))
            except ValueError:
                return Kind("other")
        if name in SEQUENCES:
            if SEQUENCES[name] is list or variadic:
                return Kind(SEQUENCES[name].__name__, (_kind_of_text(items[0]),))
            return Kind("tuple", tuple(_kind_of_text(i) for i in items), variadic=False)
    return Kind("other")


def describe(kind: Kind) -> str:
    """What a value of `kind` must look like, for error messages."""
    if kind.name == "union":
        return " or ".join(describe(k) for k in kind.args)
    if kind.name in ("literal", "enum"):
        values = [v.value if isinstance(v, enum.Enum) else v for v in kind.args]
        return "one of " + ", ".join(str(v) for v in values)
    if kind.name in ("list", "tuple"):
        if not kind.variadic:
            return f"{len(kind.args)} comma-separated items ({', '.join(describe(k) for k in kind.args)})"
        return f"comma-separated items, each {describe(kind.args[0])}"
    return {
        "int": "an integer",
        "float": "a number",
        "bool": "true or false",
        "str": "text",
        "none": "none",
        "date": "a date (YYYY-MM-DD)",
        "datetime": "a date and time (YYYY-MM-DDTHH:MM:SS)",
        "time": "a time (HH:MM:SS)",
    }.get(kind.name, "a value")


def _read(kind: Kind, text: str) -> Any:
    """`text` as a value of `kind`; ValueError when it is not one."""
    name = kind.name
    if name == "union":
        if text.lower() == "none" and Kind("none") in kind.args:
            return None
        for member in kind.args:
            if member.name != "none":
                try:
                    return _read(member, text)
                except ValueError:
                    pass
        raise ValueError
    if name in ("list", "tuple"):
        items = [item.strip() for item in text.split(",")] if text.strip() else []
        if not kind.variadic and len(items) != len(kind.args):
            raise ValueError
        kinds = kind.args if not kind.variadic else kind.args * len(items)
        values = [_read(k, item) for k, item in zip(kinds, items)]
        return values if name == "list" else tuple(values)
    if name == "literal":
        for value in kind.args:
            if str(value) == text:
                return value
        raise ValueError
    if name == "enum":
        for member in kind.args:
            if text in (str(member.value), member.name) or text.upper() == member.name:
                return member
        raise ValueError
    if name == "int":
        return int(text)
    if name == "float":
        return float(text)
    if name == "bool":
        if text.lower() not in ("1", "true", "yes", "0", "false", "no"):
            raise ValueError
        return text.lower() in ("1", "true", "yes")
    if name in ("date", "datetime", "time"):
        return SCALARS[name].fromisoformat(text)
    if name == "none":
        if text.lower() != "none":
            raise ValueError
        return None
    return text  # str, and names we do not know (the dataclass checks them)


def _settable(kind: Kind) -> bool:
    """Whether a string can give a value of `kind` (a list of dataclasses or of pairs cannot)."""
    if kind.name == "union":
        return any(_settable(k) for k in kind.args if k.name != "none")
    if kind.name in ("list", "tuple"):
        return all(_settable(k) and k.name not in ("list", "tuple") for k in kind.args)
    return kind.settable


def coerce(f: dataclasses.Field, value: Any) -> Any:
    """Turn a CLI string ('5', 'none', 'true', '+,*', '2020-01-01') into the field's type."""
    if not isinstance(value, str):
        return value
    kind = kind_of(f.type)
    if not _settable(kind):
        shown = f.type.__name__ if isinstance(f.type, type) else str(f.type).replace("typing.", "")
        raise ValueError(f"option {f.name!r} ({shown}) cannot be set from the command line")
    try:
        return _read(kind, value)
    except ValueError:
        raise ValueError(f"option {f.name!r} expects {describe(kind)}, got {value!r}") from None


def from_settings(cls: type, settings: dict[str, Any], what: str) -> Any:
    """`cls(**settings)` with values coerced; unknown keys and bad values raise ReasonlabError."""
    allowed = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(settings) - set(allowed))
    if unknown:
        raise ReasonlabError(f"{what} has no option {unknown[0]!r} (options: {', '.join(allowed)})")
    try:
        return cls(**{k: coerce(allowed[k], v) for k, v in settings.items()})
    except (TypeError, ValueError) as e:
        raise ReasonlabError(f"{what}: {e}") from None
