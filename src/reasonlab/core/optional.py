"""Optional packages: every import site gives the same one-line error, naming the extra to install.

The core install stays small (torch, transformers, the CLI); vLLM, faiss, PyTorch Geometric,
Playwright and tesseract's wrapper come with extras of pyproject.toml. A command that needs a missing
one ends with `error: <what> needs <package>: pip install 'reasonlab[<extra>]'` (exit 2), not a
traceback. `require` is that one place; tests/core/test_optional.py checks every call names an extra
of pyproject.toml that installs the package.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from reasonlab.core.errors import ReasonlabError

# Import name -> the distribution pip installs (where they differ, the message names the latter).
DISTRIBUTIONS = {
    "faiss": "faiss-cpu",
    "torch_geometric": "torch-geometric",
    "galore_torch": "galore-torch",
    "reasoning_gym": "reasoning-gym",
}


def require(module: str, extra: str, why: str) -> ModuleType:
    """Import `module` (e.g. "torch_geometric.nn"), or raise a one-line ReasonlabError naming `extra`.

    Only a missing `module` (or a missing parent package of it) is translated: an installed package
    that fails on its own missing dependency keeps its traceback, since no extra would fix that."""
    try:
        return import_module(module)
    except ModuleNotFoundError as e:
        parts = module.split(".")
        if e.name not in {".".join(parts[: i + 1]) for i in range(len(parts))}:
            raise
        top = parts[0]
        raise ReasonlabError(
            f"{why} needs {DISTRIBUTIONS.get(top, top)}: pip install 'reasonlab[{extra}]'"
        ) from None
