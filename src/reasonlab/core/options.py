"""Build option dataclasses from CLI strings (`--set key=value`), with one-line errors."""

from __future__ import annotations

import dataclasses
from typing import Any

from reasonlab.core.errors import ReasonlabError


def _kind(annotation: Any) -> str:
    """A field's type as written ("int | None"), whether annotations are strings, classes or typing
    objects (a third-party dataclass's Optional[int] reads "int | None")."""
    if isinstance(annotation, str):
        return annotation
    if isinstance(annotation, type):
        return annotation.__name__
    text = str(annotation).replace("typing.", "")
    return f"{text[len('Optional[') : -1]} | None" if text.startswith("Optional[") else text


def coerce(f: dataclasses.Field, value: Any) -> Any:
    """Turn CLI strings ('5', 'none', 'true') into the field's type."""
    if not isinstance(value, str):
        return value
    kind = _kind(f.type)
    if value.lower() == "none" and "None" in kind:
        return None
    if kind.startswith("int"):
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"option {f.name!r} expects an integer, got {value!r}") from None
    if kind.startswith("float"):
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"option {f.name!r} expects a number, got {value!r}") from None
    if kind.startswith("bool"):
        if value.lower() not in ("1", "true", "yes", "0", "false", "no"):
            raise ValueError(f"option {f.name!r} expects true or false, got {value!r}")
        return value.lower() in ("1", "true", "yes")
    return value


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
