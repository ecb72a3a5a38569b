"""Named model handles such as "testbed:target": a registry, so models/ never imports who ships them.

A package that ships models (the testbed) provides a function listing its handles; it is registered
here under the handles' prefix. The models layer knows only this registry, so layers import
downwards only (docs/ARCHITECTURE.md). The package's `__init__`, the composition root above every
layer, registers the testbed's source, and the source imports the testbed only when called: a
fresh interpreter can `load_model("testbed:target")` without importing the testbed first, and
`import reasonlab` stays free of torch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reasonlab.core.errors import ReasonlabError


@dataclass(frozen=True)
class Handle:
    """One named model: a local Hugging Face folder (`path`) or one built in memory (`build`)."""

    description: str
    path: Path | None = None
    build: Callable[[], tuple[Any, Any]] | None = None  # () -> (model, tokenizer)


HandleSource = Callable[[], dict[str, Handle]]  # called on every lookup: its folders may change
_SOURCES: dict[str, HandleSource] = {}


def _name(source: HandleSource) -> str:
    return f"{getattr(source, '__module__', '')}.{getattr(source, '__qualname__', repr(source))}"


def register_handles(prefix: str, source: HandleSource, overwrite: bool = False) -> None:
    """Serve handles "<prefix>:<name>" from `source`. Another source for a taken prefix is refused
    (as tasks are): the same function registering again, its module reloaded, is not a conflict."""
    if prefix in _SOURCES and _name(_SOURCES[prefix]) != _name(source) and not overwrite:
        raise ReasonlabError(f"model handles {prefix}:* are already registered (pass overwrite=True)")
    _SOURCES[prefix] = source


def model_handles() -> dict[str, Handle]:
    """Every registered handle, by name."""
    found: dict[str, Handle] = {}
    for source in _SOURCES.values():
        found.update(source())
    return found


def find_handle(name: str) -> Handle | None:
    """The handle `name`; None when its prefix is not registered (then `name` is a path). An unknown
    name under a registered prefix is a one-line error listing what exists."""
    prefix, sep, _ = name.partition(":")
    if not sep or prefix not in _SOURCES:
        return None
    handles = _SOURCES[prefix]()
    if name not in handles:
        raise ReasonlabError(f"unknown {prefix} model {name!r} (available: {', '.join(handles)})")
    return handles[name]
